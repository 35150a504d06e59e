import type { MechanismSpec } from './fields.ts';
import { NEMO_JOBS_PATH, type NemoSafeSynthesizerClient } from './nemo.ts';
import type { TextSynthesisOptions, TextSynthesisResult, TextSynthesizer } from './textSynthesizer.ts';

/**
 * The NeMo Safe Synthesizer backend for confidential text, behind the same interface as the built-in
 * one. The service trains with DP-SGD to the (ε, δ) it is asked for and states its guarantee as that
 * pair, so the release is recorded as an `approximate-dp` mechanism and composes by basic composition
 * (lib/privacy/rdp.ts, releaseEpsilon). One job per confidential field: the records sent are
 * `{condition, text}`, the condition being the public field the text is conditioned on.
 *
 * The service generates records, not row-by-row rewrites, so its outputs are matched back to the
 * source rows by condition: each row takes the next synthetic text generated for its condition, then,
 * when those run out, the next unused one of any condition (in the order the service returned them).
 */
export function nemoTextSynthesizer(
  client: NemoSafeSynthesizerClient,
  dp: { epsilon: number; delta: number },
): TextSynthesizer<TextSynthesisOptions> {
  return {
    name: 'nemo-safe-synthesizer',
    version: NEMO_JOBS_PATH.split('/')[1],
    async synthesize(texts, conditions, options): Promise<TextSynthesisResult> {
      const result = await client.synthesize({
        records: texts.map((text, i) => ({ condition: conditions[i], text })),
        dp,
        config: { generation: { num_records: texts.length } },
      });
      const byCondition = new Map<string, number[]>();
      result.records.forEach((r, k) => {
        const key = String(r.condition ?? '');
        byCondition.set(key, [...(byCondition.get(key) ?? []), k]);
      });
      const used = new Set<number>();
      let next = 0;
      const out = conditions.map((condition) => {
        const queue = byCondition.get(String(condition ?? '')) ?? [];
        let k = queue.find((j) => !used.has(j));
        if (k === undefined) {
          while (next < result.records.length && used.has(next)) next++;
          k = next < result.records.length ? next : undefined;
        }
        if (k === undefined) return '';
        used.add(k);
        const text = result.records[k].text;
        return typeof text === 'string' ? text : '';
      });
      const mechanism: MechanismSpec = { field: options.field, mechanism: 'approximate-dp', epsilon: dp.epsilon, delta: dp.delta };
      return { texts: out, mechanisms: [mechanism] };
    },
  };
}

import { InvalidInputError } from '../errors.ts';
import type { MechanismSpec } from './fields.ts';
import { NemoSafeSynthesizerClient } from './nemo.ts';
import { nemoTextSynthesizer } from './nemoText.ts';
import type { PrivacyParams } from './project.ts';
import { builtinTextSynthesizer, type BuiltinTextOptions, type TextSynthesizer } from './textSynthesizer.ts';

/**
 * The backend that regenerates confidential text, and the mechanism it releases per field, known
 * before it runs. NeMo Safe Synthesizer is asked for (params `privacy.nemo.epsilon`, half the
 * release's δ); its base URL comes from params and its key from NEMO_API_KEY, never from a file.
 */
export function textBackend(params: PrivacyParams, delta: number, textFields: number) {
  if (params.backend === 'nemo') {
    const epsilon = params.nemo?.epsilon;
    const baseUrl = params.nemo?.base_url;
    if (!baseUrl || !(epsilon! > 0))
      throw new InvalidInputError([
        { file: 'params.yaml', field: 'privacy.nemo', message: 'the nemo backend needs `base_url` and a positive `epsilon`' },
      ]);
    // Half the release's δ goes to the service, shared by the fields it regenerates.
    const dp = { epsilon: epsilon!, delta: delta / 2 / Math.max(1, textFields) };
    const client = new NemoSafeSynthesizerClient({
      baseUrl,
      apiKey: process.env.NEMO_API_KEY,
      ...(params.nemo?.timeout_s ? { timeoutMs: params.nemo.timeout_s * 1000 } : {}),
      ...(process.env.EVALSET_NEMO_POLL_MS ? { pollIntervalMs: Number(process.env.EVALSET_NEMO_POLL_MS) } : {}),
    });
    return {
      text: nemoTextSynthesizer(client, dp) as TextSynthesizer<BuiltinTextOptions>,
      mechanism: (field: string): MechanismSpec => ({ field, mechanism: 'approximate-dp', ...dp }),
    };
  }
  return {
    text: builtinTextSynthesizer as TextSynthesizer<BuiltinTextOptions>,
    mechanism: (field: string, z: number): MechanismSpec => ({ field, mechanism: 'gaussian', noise_multiplier: z }),
  };
}

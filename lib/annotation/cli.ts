import { existsSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { markdownTable } from 'markdown-table';
import type { Argv } from 'yargs';
import { run, type Commands, type Common } from '../cli/command.ts';
import { emit } from '../cli/output.ts';
import { DEFAULT_MIN_AGREEMENT, loadParams } from '../config/params.ts';
import { InvalidInputError } from '../errors.ts';
import { analyzeAgreement, weakestPairs } from './analysis.ts';
import { groupByExample, jsonlFiles, readAnnotationFiles, type Annotation, type Label } from './annotations.ts';
import { readAnnotationsCsv } from './csv.ts';
import { exampleAgreement, routeExample } from './exampleAgreement.ts';
import { LABEL_TYPES, type LabelType } from './reliabilityData.ts';
import { reliabilityVerdict } from './result.ts';

interface IaaArgs extends Common {
  annotations: string;
  columns?: string;
  level: LabelType;
  values?: string;
  'min-agreement'?: number;
  'min-pair-items': number;
  samples: number;
  confidence: number;
  seed: number;
}

/** The annotations at PATH: a JSONL file, a folder of them, or a CSV read through `--columns`. */
function readAnnotationsAt(root: string, path: string, columns?: string): Annotation[] {
  const full = resolve(root, path);
  const file = relative(root, full) || full;
  if (!existsSync(full)) throw new InvalidInputError([{ file, message: 'does not exist' }]);
  if (statSync(full).isDirectory()) return readAnnotationFiles(jsonlFiles(full), root);
  if (full.endsWith('.csv')) {
    if (!columns) throw new InvalidInputError([{ file, message: 'is a CSV: name its columns with `--columns EXAMPLE,ANNOTATOR,LABEL`' }]);
    return readAnnotationsCsv(
      full,
      file,
      columns.split(',').map((c) => c.trim()),
    );
  }
  return readAnnotationFiles([full], root);
}

/** `--values a,b,c`: the order of ordinal word labels (numbers stay numbers). */
const parseValues = (text?: string): Label[] | undefined =>
  text?.split(',').map((v) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v.trim()));

export const commands: Commands = () => [
  {
    command: 'iaa',
    describe:
      "inter-annotator agreement of any annotations file: Krippendorff's alpha with a bootstrap interval, Cohen's kappa per pair, the routing",
    builder: (y: Argv<Common>) =>
      y
        .option('annotations', {
          type: 'string',
          demandOption: true,
          describe: 'a JSONL file (example_id, annotator_id, label, annotated_at), a folder of them, or a CSV',
        })
        .option('columns', {
          type: 'string',
          describe: 'for a CSV: the headers of the example id, annotator id and label, e.g. orig_id,worker,response',
        })
        .option('level', { choices: LABEL_TYPES, default: 'nominal' as LabelType, describe: 'the label type (binary is nominal)' })
        .option('values', { type: 'string', describe: 'the order of ordinal labels that are words, e.g. poor,fair,good' })
        .option('min-agreement', {
          type: 'number',
          describe:
            "route examples below this share of annotators giving the most common label (default: params.yaml's agreement.min_agreement, else 0.5)",
        })
        .option('min-pair-items', { type: 'number', default: 20, describe: 'pairs of annotators sharing fewer items get no kappa' })
        .option('samples', { type: 'number', default: 1000, describe: 'bootstrap resamples for the interval' })
        .option('confidence', { type: 'number', default: 0.95, describe: 'confidence of the interval' })
        .option('seed', { type: 'number', default: 1, describe: 'bootstrap seed: the same seed gives the same interval' })
        .example('$0 iaa --annotations datasets/annotations --level ordinal', 'the pool annotations, as the pipeline reads them')
        .example('$0 iaa --annotations rte.csv --columns orig_id,!amt_worker_ids,response', 'a crowd-sourcing export'),
    handler: run<IaaArgs>((args) => {
      const annotations = readAnnotationsAt(args.root, args.annotations, args.columns);
      const units = [...groupByExample(annotations).values()];
      const paramsPath = join(args.root, 'params.yaml');
      const minAgreement =
        args['min-agreement'] ??
        (existsSync(paramsPath) ? loadParams(paramsPath, 'params.yaml').agreement?.min_agreement : undefined) ??
        DEFAULT_MIN_AGREEMENT;
      const report = analyzeAgreement(units, {
        type: args.level,
        order: parseValues(args.values),
        minPairItems: args['min-pair-items'],
        bootstrap: { samples: args.samples, confidence: args.confidence },
        seed: args.seed,
        where: 'the command line',
      });
      type Routed = { example_id: string; agreement: number | null; reason: string };
      const routing: Record<'adjudication' | 'senior', Routed[]> = { adjudication: [], senior: [] };
      for (const unit of units) {
        const agreement = exampleAgreement(unit);
        const { queue, reason } = routeExample(agreement, minAgreement);
        if (queue) routing[queue].push({ example_id: unit.example_id, agreement: agreement.agreement, reason });
      }
      const result = {
        level: report.level,
        type: report.type,
        alpha: report.overall.alpha,
        ci: report.overall.ci,
        confidence: report.confidence,
        bootstrap: { samples: report.bootstrap_samples, seed: report.seed },
        verdict: reliabilityVerdict(report.overall.alpha),
        units: report.overall.units,
        examples: report.examples,
        annotations: report.annotations,
        annotators: report.annotators,
        pairs: report.pairs,
        weakest_pairs: weakestPairs(report.pairs),
        min_agreement: minAgreement,
        routing,
      };
      emit(args.json, result, () => {
        const f3 = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(3));
        const scored = report.pairs.filter((p) => p.kappa !== null);
        const ordinal = args.level === 'ordinal';
        const lines = [
          `Krippendorff's alpha (${report.level}): ${f3(result.alpha)}${result.ci ? ` [${f3(result.ci[0])}, ${f3(result.ci[1])}]` : ''} — ${result.verdict}`,
          `  ${Math.round(result.confidence * 100)}% bootstrap interval over examples, ${result.bootstrap.samples} resamples, seed ${result.bootstrap.seed}`,
          `  ${result.units} examples with two or more labels (of ${result.examples}), ${result.annotations} labels, ${result.annotators} annotators`,
          '',
          `Cohen's kappa: ${scored.length} of ${report.pairs.length} annotator pairs share at least ${args['min-pair-items']} items${scored.length > 20 ? '; the 20 weakest:' : ':'}`,
        ];
        if (scored.length)
          lines.push(
            markdownTable(
              [
                ['annotator', 'annotator', 'shared items', 'kappa', ...(ordinal ? ['linear', 'quadratic'] : [])],
                ...weakestPairs(scored, 20).map((p) => [
                  p.a,
                  p.b,
                  String(p.n),
                  f3(p.kappa),
                  ...(ordinal ? [f3(p.kappa_linear), f3(p.kappa_quadratic)] : []),
                ]),
              ],
              { align: ['l', 'l', 'r', 'r', 'r', 'r'] },
            ),
          );
        lines.push(
          '',
          `Routing (agreement below ${minAgreement}): ${routing.adjudication.length} to adjudication, ${routing.senior.length} to the senior queue (no two annotators agree)`,
        );
        for (const queue of ['senior', 'adjudication'] as const)
          for (const r of routing[queue].slice(0, 10)) lines.push(`  ${queue}: ${r.example_id} (${r.reason})`);
        const more =
          routing.adjudication.length + routing.senior.length - Math.min(10, routing.senior.length) - Math.min(10, routing.adjudication.length);
        if (more > 0) lines.push(`  … and ${more} more (--json lists every one)`);
        return lines.join('\n');
      });
    }),
  },
];

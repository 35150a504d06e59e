import { markdownTable } from 'markdown-table';
import type { QualityResult } from '../../quality/result.ts';
import type { ProvenanceDetails } from '../../sampling/quality.ts';

export function renderProvenanceSection(result: QualityResult<ProvenanceDetails>): string {
  const d = result.details;
  const tools = Object.entries(d.tools)
    .map(([k, v]) => `${k} ${v ?? 'not recorded'}`)
    .join(', ');
  const files = markdownTable(
    [
      ['file', 'SHA-256', 'bytes', 'rows'],
      ...Object.entries(d.files).map(([f, x]) => [`\`${f}\``, `\`${x.sha256}\``, String(x.bytes), String(x.rows)]),
    ],
    {
      align: ['l', 'l', 'r', 'r'],
    },
  );
  const code = d.code
    ? markdownTable([['path', 'git object id'], ...Object.entries(d.code).map(([path, id]) => [`\`${path}\``, `\`${id}\``])])
    : '(not a git working tree: the code is not identified)';
  return [
    `- **Timestamp:** ${d.timestamp} (source: ${d.timestamp_source})`,
    `- **Content hash** (canonical rows, independent of the Parquet writer): \`${d.content_hash}\``,
    `- **Tools:** ${tools}`,
    '',
    files,
    '',
    'Pipeline code of the sample stage, by git object id as it stood when this dataset was built (compare with `git rev-parse <commit>:<path>`):',
    '',
    code,
  ].join('\n');
}

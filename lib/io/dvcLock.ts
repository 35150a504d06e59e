import { parse } from 'yaml';

interface LockEntry {
  path: string;
  md5?: string;
}
interface Lock {
  stages?: Record<string, { deps?: LockEntry[]; outs?: LockEntry[] }>;
}

/** The md5 dvc.lock records for one dependency or output of one stage; undefined where it records none. */
export function lockedMd5(lockText: string | null, stage: string, kind: 'deps' | 'outs', path: string): string | undefined {
  if (!lockText) return undefined;
  return (parse(lockText) as Lock | null)?.stages?.[stage]?.[kind]?.find((entry) => entry.path === path)?.md5;
}

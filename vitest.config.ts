import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The suites that take longest (measured in `npm test` on two cores: failsafe 350 s, versioning 318 s,
 * sample 206 s, agreementPipeline 189 s, e2e 173 s, refreshPipeline 164 s, remote 72 s, then the
 * rest under 40 s), longest first. Two workers take files from one queue, so starting the longest
 * first lets them finish together (LPT scheduling); a fresh clone has no recorded durations, and
 * vitest would order it by file size, which put a long suite at the end of one worker.
 */
const LONGEST_FIRST = ['failsafe', 'versioning', 'sample', 'agreementPipeline', 'e2e', 'refreshPipeline', 'remote', 'precommit', 'validate'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const i = LONGEST_FIRST.indexOf(basename(file.moduleId, '.test.ts'));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b)); // stable: the rest keep vitest's order
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end suites run real DVC and git in temporary repositories.
    testTimeout: 180_000,
    // Two workers on two cores: the long suites wait on DVC and git subprocesses much of the time.
    maxWorkers: 2,
    hookTimeout: 180_000,
    sequence: { sequencer: LongestFirst },
  },
});

/**
 * One run spending the privacy budget, as a separate process: the concurrency test starts many of
 * these at once against one ledger. Arguments: ledger path, budget (JSON), entry (JSON). Prints the
 * result as JSON; on a documented error prints `{ "error": name, "message": … }` and exits with its code.
 */
import { EvalsetError } from '../../lib/errors.ts';
import { spendBudget } from '../../lib/privacy/ledger.ts';

const [ledgerPath, budget, entry] = process.argv.slice(2);
try {
  const result = await spendBudget({ ledgerPath, budget: JSON.parse(budget), entry: JSON.parse(entry) });
  process.stdout.write(JSON.stringify(result));
} catch (err) {
  if (!(err instanceof EvalsetError)) throw err;
  process.stdout.write(JSON.stringify({ error: err.name, message: err.message }));
  process.exitCode = err.exitCode;
}

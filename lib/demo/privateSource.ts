import { Rng } from './rng.ts';

/**
 * The demo's private source: support tickets as a help desk would export them, with the kinds of
 * fields fields.yaml distinguishes, and secrets planted where a real export has them (an API key
 * pasted into a message, an e-mail address in the text, an override code in the agents' notes).
 * Every planted secret is a canary: the synthetic output must contain none of them.
 *
 * The secrets are fictional by construction: e-mail addresses at example.com (RFC 2606), phone
 * numbers in Ofcom's range for drama (+44 7700 900000–900999), `sk-live-` keys drawn at random.
 */

export const DEMO_PRIVATE_SEED = 20260410;
export const DEMO_PRIVATE_RECORDS = 400;

/** The annotation of the demo source; `internal_notes` is deliberately left out (an unannotated field is treated as restricted). */
export const DEMO_FIELDS_YAML = `version: 1
fields:
  ticket_id: { sensitivity: public }
  category: { sensitivity: public }
  customer_age: { sensitivity: internal, type: integer, bounds: [18, 90], mechanism: laplace, epsilon0: 1.0 }
  resolution_hours: { sensitivity: internal, type: number, bounds: [0, 240], mechanism: gaussian, noise_multiplier: 2.0 }
  opened_at: { sensitivity: internal, type: timestamp, bounds: ["2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z"], mechanism: gaussian, noise_multiplier: 4.0 }
  message: { sensitivity: confidential, condition_on: category }
  api_key: { sensitivity: restricted, format: api-key }
  email: { sensitivity: restricted, format: email }
  phone: { sensitivity: restricted, format: phone }
`;

export const DEMO_TICKET_CATEGORIES = ['billing', 'shipping', 'technical', 'account'] as const;

const PRODUCTS = [
  'Aurora X2 headphones',
  'Nimbus 4K webcam',
  'Atlas standing desk',
  'Vega smart thermostat',
  'Orion mesh router',
  'Lumen desk lamp',
  'Pulse fitness band',
  'Cascade espresso machine',
];
const FIRST_NAMES = ['maria', 'james', 'aisha', 'chen', 'lucas', 'emma', 'omar', 'sofia', 'noah', 'yuki', 'liam', 'priya', 'elena', 'kwame'];
const LAST_NAMES = ['garcia', 'smith', 'khan', 'wei', 'martin', 'novak', 'haddad', 'rossi', 'okafor', 'tanaka', 'murphy', 'patel', 'silva', 'mensah'];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

type Fill = { order: string; product: string; amount: string; day: string; days: number };

/** Message templates per category: ordinary support text that names orders, products and amounts. */
const MESSAGES: Record<(typeof DEMO_TICKET_CATEGORIES)[number], ((f: Fill) => string)[]> = {
  billing: [
    (f) => `I was charged twice for order ${f.order} (${f.product}). Please refund the duplicate charge of ${f.amount}.`,
    (f) => `The invoice for order ${f.order} shows ${f.amount} but the checkout page said less. Can you correct the invoice?`,
    (f) => `My card was declined when I paid for the ${f.product}, yet order ${f.order} says payment pending. Was I charged?`,
    (f) => `I cancelled order ${f.order} on ${f.day} and still have not received the refund of ${f.amount}.`,
    (f) => `Please send a VAT invoice for order ${f.order}; our accounts team needs it for the ${f.product} purchase.`,
  ],
  shipping: [
    (f) => `Order ${f.order} for the ${f.product} has not arrived. Tracking has not moved for ${f.days} days.`,
    (f) => `The ${f.product} from order ${f.order} arrived damaged; the box was crushed. I would like a replacement.`,
    (f) => `Can I change the delivery address for order ${f.order}? It has not shipped yet according to the tracking page.`,
    (f) => `I received the wrong item for order ${f.order}: I ordered the ${f.product} and got something else.`,
    (f) => `Order ${f.order} was marked delivered on ${f.day} but nothing was left at the door.`,
  ],
  technical: [
    (f) => `My ${f.product} stopped connecting to wifi after the latest firmware update. Order ${f.order}, bought ${f.days} days ago.`,
    (f) => `The ${f.product} keeps restarting every few minutes. I already tried a factory reset. Order ${f.order}.`,
    (f) => `The mobile app cannot find my ${f.product} during setup. Is there a known issue with the pairing step?`,
    (f) => `Since ${f.day} the ${f.product} shows an error light and does not respond. It is under warranty (order ${f.order}).`,
    (f) => `The orders API returns 500 when we request order ${f.order}. Our integration has worked for months until ${f.day}.`,
  ],
  account: [
    (f) => `I cannot log in to my account; the password reset e-mail never arrives. My last order was ${f.order}.`,
    (f) => `Please close my account and delete my data. My most recent purchase was the ${f.product}.`,
    (f) => `My account was locked after too many login attempts on ${f.day}. How do I unlock it?`,
    (f) => `I want to merge my two accounts; order ${f.order} was placed on the old one.`,
    (f) => `Two-factor authentication codes stopped working after I changed phones. I need access to order ${f.order}.`,
  ],
};

export interface DemoPrivateSource {
  records: Record<string, unknown>[];
  /** The fields.yaml text annotating the records (all fields but `internal_notes`). */
  fieldsYaml: string;
  /** Every secret planted in the records, each once: none may appear in the synthetic output. */
  canaries: string[];
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const chars = (r: Rng, alphabet: string, length: number): string => Array.from({ length }, () => alphabet[r.int(0, alphabet.length - 1)]).join('');
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** 400 support tickets, the same bytes for the same seed. */
export function demoPrivateSource(seed = DEMO_PRIVATE_SEED): DemoPrivateSource {
  const r = new Rng(seed);
  const canaries = new Set<string>();
  const yearStart = Date.UTC(2026, 0, 1);
  const yearSeconds = (Date.UTC(2027, 0, 1) - yearStart) / 1000;
  const records: Record<string, unknown>[] = [];
  for (let n = 1; n <= DEMO_PRIVATE_RECORDS; n++) {
    const category = r.pick(DEMO_TICKET_CATEGORIES);
    const fill: Fill = {
      order: `ORD-${r.int(100000, 999999)}`,
      product: r.pick(PRODUCTS),
      amount: `$${r.int(19, 899)}.${pad(r.int(0, 99), 2)}`,
      day: r.pick(WEEKDAYS),
      days: r.int(2, 21),
    };
    const apiKey = `sk-live-${chars(r, ALPHANUMERIC, 32)}`;
    const email = `${r.pick(FIRST_NAMES)}.${r.pick(LAST_NAMES)}+t${pad(n, 4)}@example.com`;
    const phone = r.int(0, 9) === 0 ? null : `+44 7700 900${pad(r.int(0, 999), 3)}`;
    canaries.add(apiKey).add(email);
    if (phone) canaries.add(phone);

    let message = r.pick(MESSAGES[category])(fill);
    const leak = r.int(0, 99);
    if (leak < 12) message += ` Please reply to ${email}, not the address on file.`;
    else if (leak < 20) message += ` Our integration uses the key ${apiKey} and now gets 401 Unauthorized.`;

    let notes: string | null = null;
    if (r.int(0, 2) === 0) {
      const code = `OVR-${chars(r, ALPHANUMERIC.slice(0, 26) + ALPHANUMERIC.slice(52), 8)}`;
      canaries.add(code);
      notes = `Goodwill credit approved under override code ${code}; customer called from ${phone ?? 'a withheld number'}.`;
    }

    const resolved = r.int(0, 9) !== 0;
    records.push({
      ticket_id: `T-${pad(n, 5)}`,
      category,
      customer_age: r.int(18, 34) + r.int(0, 40),
      resolution_hours: resolved ? Number((r.float(0.5, 120, 1) + r.float(0, 60, 1)).toFixed(1)) : null,
      opened_at: isoSeconds(yearStart + r.int(0, yearSeconds - 1) * 1000),
      message,
      api_key: apiKey,
      email,
      phone,
      internal_notes: notes,
    });
  }
  return { records, fieldsYaml: DEMO_FIELDS_YAML, canaries: [...canaries] };
}

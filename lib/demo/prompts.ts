import type { Rng } from './rng.ts';

/** What a category's generator returns for one example. */
export interface DemoText {
  prompt: string;
  reference: string | null;
  capabilities: string[];
}

export const companies = [
  'Northwind Logistics',
  'Helio Pharma',
  'Brightline Transit',
  'Arcadia Foods',
  'Keystone Mutual',
  'Lumen Grid',
  'Orchard Health',
  'Tessellate Labs',
];
export const people = [
  'Maria Okafor',
  'Daniel Reyes',
  'Priya Natarajan',
  'Tomasz Nowak',
  'Aiko Tanaka',
  'Samuel Greene',
  'Fatima Haddad',
  'Lucas Moreau',
];
export const cities = ['Rotterdam', 'Lagos', 'Denver', 'Osaka', 'Valparaíso', 'Leeds', 'Pune', 'Tallinn'];
export const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const summarySubjects = [
  {
    kind: 'quarterly earnings call transcript',
    facts: (r: Rng) => {
      const c = r.pick(companies);
      const growth = r.int(2, 19);
      const margin = r.int(8, 31);
      return {
        sentences: [
          `${c} reported revenue growth of ${growth}% year over year, driven mostly by its services segment.`,
          `The chief financial officer said operating margin reached ${margin}%, up from the prior quarter.`,
          `Management flagged rising freight costs as the main risk for the coming two quarters.`,
          `Analysts asked about the delayed plant in ${r.pick(cities)}, which is now expected to open next year.`,
          `The company kept its full-year guidance unchanged and announced a modest share buyback.`,
          `Headcount grew slightly, mainly in customer support and data engineering.`,
        ],
        summary: `${c} grew revenue ${growth}% with a ${margin}% operating margin, kept guidance, and warned about freight costs.`,
      };
    },
  },
  {
    kind: 'city council meeting minutes',
    facts: (r: Rng) => {
      const city = r.pick(cities);
      const votes = r.int(5, 9);
      return {
        sentences: [
          `The ${city} city council met on ${r.int(1, 28)} ${r.pick(months)} with all members present.`,
          `A proposal to extend the tram line to the harbour district passed by ${votes} votes to ${11 - votes}.`,
          `Residents spoke for over an hour about parking changes near the central market.`,
          `The council postponed a decision on the new waste-collection contract pending a cost review.`,
          `The budget committee reported that road maintenance is running ahead of schedule.`,
          `The meeting closed with a minute of silence for a former mayor.`,
        ],
        summary: `${city}'s council approved the harbour tram extension (${votes}–${11 - votes}), delayed the waste contract, and heard parking complaints.`,
      };
    },
  },
  {
    kind: 'software incident postmortem',
    facts: (r: Rng) => {
      const minutes = r.int(12, 240);
      const svc = r.pick(['checkout API', 'search indexer', 'login service', 'billing pipeline', 'notification queue']);
      return {
        sentences: [
          `On ${r.pick(months)} ${r.int(1, 28)}, the ${svc} returned errors for ${minutes} minutes.`,
          `The trigger was a configuration change that lowered a connection-pool limit in one region.`,
          `Alerts fired within four minutes, but the on-call engineer first suspected a network fault.`,
          `Rolling back the configuration restored service; no data was lost.`,
          `Follow-up actions include a canary stage for configuration changes and a clearer runbook.`,
          `About ${r.int(2, 40)} thousand requests failed during the incident.`,
        ],
        summary: `A bad connection-pool setting took the ${svc} down for ${minutes} minutes; a rollback fixed it and config canaries are planned.`,
      };
    },
  },
  {
    kind: 'clinical trial press release',
    facts: (r: Rng) => {
      const n = r.int(120, 2400);
      const drug = r.pick(['HLX-204', 'ordanib', 'TR-17', 'velcorin', 'AMX-9']);
      return {
        sentences: [
          `${r.pick(companies)} announced phase ${r.int(2, 3)} results for ${drug} in ${n} patients.`,
          `The drug met its primary endpoint, reducing symptom scores compared with placebo.`,
          `Serious adverse events were similar between the two arms of the study.`,
          `The company plans to file for approval within the next eighteen months.`,
          `Independent experts cautioned that the follow-up period was short.`,
          `Shares rose in early trading after the announcement.`,
        ],
        summary: `${drug} met its primary endpoint in a ${n}-patient trial with similar safety to placebo; experts note short follow-up.`,
      };
    },
  },
];

function summarization(r: Rng, level: number): DemoText {
  const subject = r.pick(summarySubjects);
  const { sentences, summary } = subject.facts(r);
  // Harder examples carry longer documents, built by repeating the meeting's running record.
  const body = Array.from({ length: 1 + level * 2 }, (_, i) => r.sample(sentences, 4 + (i % 3)).join(' ')).join('\n\n');
  const audience = r.pick(['an executive', 'a new team member', 'a newsletter', 'a patient advocacy group', 'a board briefing']);
  const length = r.pick(['two sentences', 'three bullet points', 'one paragraph', 'under 50 words']);
  return {
    prompt: `Summarize the following ${subject.kind} in ${length} for ${audience}.\n\n${body}`,
    reference: summary,
    capabilities: ['summarization.abstractive', ...(level > 0 ? ['summarization.long-context'] : [])],
  };
}

function extraction(r: Rng, level: number): DemoText {
  const vendor = r.pick(companies);
  const person = r.pick(people);
  const amount = r.int(120, 98000);
  const day = r.int(1, 28);
  const month = r.pick(months);
  const invoice = `INV-${r.int(10000, 99999)}`;
  const forms = [
    {
      text: `Invoice ${invoice} from ${vendor}, issued ${day} ${month} 2026 to ${person}. Amount due: ${amount} EUR, payable within 30 days.`,
      fields: 'the invoice number, vendor, issue date and amount due',
      reference: JSON.stringify({ invoice_number: invoice, vendor, issue_date: `${day} ${month} 2026`, amount_due: `${amount} EUR` }),
    },
    {
      text: `Hi team, ${person} here. Please book the ${r.pick(cities)} offsite for ${r.int(8, 40)} people on ${day} ${month}; the budget is ${amount} USD and ${vendor} is catering.`,
      fields: 'the requester, location, headcount, date and budget',
      reference: null,
    },
    {
      text: `Patient ${person}, seen on ${day} ${month}, reports a cough for ${r.int(2, 21)} days. Prescribed ${r.pick(['amoxicillin 500 mg', 'ibuprofen 400 mg', 'salbutamol inhaler'])}. Follow-up in ${r.int(1, 4)} weeks.`,
      fields: 'the patient name, visit date, symptom duration, medication and follow-up interval',
      reference: null,
    },
  ];
  const form = r.pick(forms);
  const distractors =
    level === 0
      ? ''
      : `\n\nEarlier thread (ignore unless relevant):\n${Array.from({ length: level * 3 }, () => `> ${r.pick(people)} wrote: ${r.pick(['Can we move this to next week?', 'The old invoice was cancelled.', 'Numbers above are estimates only.', 'Please use the corrected date.'])}`).join('\n')}`;
  return {
    prompt: `Extract ${form.fields} from the text below. Answer as a JSON object; use null for anything not stated.\n\n${form.text}${distractors}`,
    reference: form.reference,
    capabilities: ['extraction.structured-fields', ...(level > 0 ? ['extraction.distractor-robustness'] : [])],
  };
}

function reasoning(r: Rng, level: number): DemoText {
  const templates = [
    () => {
      const speed = r.int(40, 120);
      const hours = r.int(2, 7);
      const stop = r.int(10, 50);
      const answer = speed * hours;
      return {
        prompt: `A freight train travels at a constant ${speed} km/h for ${hours} hours, then stops for ${stop} minutes. How many kilometres has it covered when it stops?`,
        reference: `${answer} km`,
      };
    },
    () => {
      const price = r.int(20, 90);
      const discount = r.pick([10, 15, 20, 25]);
      const qty = r.int(3, 12);
      const answer = (price * qty * (100 - discount)) / 100;
      return {
        prompt: `Notebooks cost ${price} dollars each. A school buys ${qty} of them with a ${discount}% bulk discount on the whole order. What does the school pay?`,
        reference: `${answer} dollars`,
      };
    },
    () => {
      const a = r.int(3, 9);
      const b = r.int(2, 6);
      return {
        prompt: `${r.pick(people)} is ${a} times as old as her nephew. In ${b * 2} years she will be ${a - 1} times as old as he will be. How old is the nephew now? Show your reasoning.`,
        reference: null,
      };
    },
    () => {
      const n = r.int(4, 7);
      return {
        prompt: `Five friends sit in a row. ${people[0]} is not at either end, ${people[1]} sits immediately left of ${people[2]}, and ${people[3]} sits ${n > 5 ? 'somewhere right of' : 'two seats from'} ${people[4]}. List every seating order consistent with these clues and explain which clue eliminates each rejected order.`,
        reference: null,
      };
    },
  ];
  const t = r.pick(templates)();
  const twist = level === 2 ? ' Then verify your answer by working backwards, and state any assumption you had to make.' : '';
  return {
    prompt: t.prompt + twist,
    reference: t.reference,
    capabilities: ['reasoning.arithmetic-word-problems', ...(level === 2 ? ['reasoning.multi-step'] : [])],
  };
}

function codeGeneration(r: Rng, level: number): DemoText {
  const language = r.pick(['Python', 'TypeScript', 'Go', 'Rust', 'SQL']);
  const specs = [
    ['parse_duration', 'parses strings such as "1h30m" or "45s" into a number of seconds and rejects malformed input'],
    ['merge_intervals', 'merges overlapping closed intervals and returns them sorted by start'],
    ['top_k_words', 'returns the k most frequent words in a text, ties broken alphabetically, ignoring case and punctuation'],
    ['rate_limiter', 'implements a token-bucket rate limiter with a configurable refill rate and burst size'],
    ['diff_lines', 'computes a line-based diff of two texts using the longest common subsequence'],
    ['lru_cache', 'implements a fixed-capacity least-recently-used cache with O(1) get and put'],
  ];
  const [fn, spec] = r.pick(specs);
  const extra = [
    '',
    ' Include unit tests for the edge cases.',
    ' It must be safe to call from several threads at once, and include a benchmark comparing it with a naive version.',
  ][level];
  return {
    prompt: `Write a ${language} function \`${fn}\` that ${spec}.${extra}`,
    reference: null,
    capabilities: [`code-generation.${language.toLowerCase()}`, ...(level === 2 ? ['code-generation.concurrency'] : [])],
  };
}

function creativeWriting(r: Rng, level: number): DemoText {
  const form = r.pick(['short story', 'sonnet', 'haiku sequence', 'product description', 'wedding toast', 'radio advert']);
  const subject = r.pick([
    'a lighthouse keeper who collects lost letters',
    'the first snow in a coastal town',
    'a robot learning to bake bread',
    `the night market in ${r.pick(cities)}`,
    'a retired astronaut tending bees',
  ]);
  const constraint = [
    '',
    ` in under ${r.int(100, 300)} words, for a reader aged ${r.int(8, 14)}`,
    ' as a single sentence that never uses the letter "e", while keeping a clear beginning, middle and end',
  ][level];
  return {
    prompt: `Write a ${form} about ${subject}${constraint}.`,
    reference: null,
    capabilities: ['creative-writing.open-ended', ...(level === 2 ? ['creative-writing.hard-constraints'] : [])],
  };
}

export const DEMO_WRITERS: Record<string, (r: Rng, level: number) => DemoText> = {
  summarization,
  extraction,
  reasoning,
  'code-generation': codeGeneration,
  'creative-writing': creativeWriting,
};

/**
 * Posts a message to a Slack incoming webhook (issue 9's refresh runner). The URL is a secret (SLACK_WEBHOOK_URL, from
 * the CI secret store): it is never printed, not even in errors, which name only the HTTP status and Slack's short
 * reply (e.g. `no_service`, `invalid_payload`).
 */

/** An incoming-webhook message: `text` is the fallback, `blocks` the Block Kit layout. */
export interface SlackPayload {
  text: string;
  blocks?: unknown[];
}

export interface RefreshSlack {
  post(payload: SlackPayload): Promise<void>;
}

export class SlackError extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'SlackError';
    this.status = status;
  }
}

export interface SlackWebhookOptions {
  /** Default: process.env.SLACK_WEBHOOK_URL. */
  url?: string;
  fetch?: typeof fetch;
}

export class SlackWebhook implements RefreshSlack {
  readonly #url: string;
  readonly #fetch: typeof fetch;

  constructor(options: SlackWebhookOptions = {}) {
    const url = options.url ?? process.env.SLACK_WEBHOOK_URL;
    if (!url) throw new SlackError('no Slack webhook: set SLACK_WEBHOOK_URL (an incoming-webhook URL, kept as a secret)');
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SlackError('SLACK_WEBHOOK_URL is not a valid URL (its value is not shown: it is a secret)');
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new SlackError('SLACK_WEBHOOK_URL must be an http(s) URL');
    this.#url = url;
    this.#fetch = options.fetch ?? fetch;
  }

  async post(payload: SlackPayload): Promise<void> {
    let response: Response;
    try {
      response = await this.#fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
    } catch (error) {
      // Not chained: the cause may carry the URL.
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      throw new SlackError(`the Slack webhook could not be reached${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (!response.ok) {
      const reply = (await response.text().catch(() => '')).slice(0, 200).replaceAll(this.#url, '[REDACTED]');
      throw new SlackError(`the Slack webhook answered HTTP ${response.status}${reply ? `: ${reply}` : ''}`, response.status);
    }
  }
}

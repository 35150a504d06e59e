/**
 * A local stand-in for a Slack incoming webhook: it records every JSON payload POSTed to its secret path and answers
 * `ok` (text/plain) as Slack does; an unknown path gets 404 `no_service`, a body that is not JSON 400 `invalid_payload`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackReceiver {
  /** The full webhook URL, secret path included. */
  url: string;
  payloads: unknown[];
  close(): Promise<void>;
}

export async function startSlackReceiver(secretPath = '/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX'): Promise<SlackReceiver> {
  const payloads: unknown[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const reply = (status: number, text: string) => {
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(text);
    };
    if (request.method !== 'POST' || request.url !== secretPath) return reply(404, 'no_service');
    try {
      payloads.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      return reply(400, 'invalid_payload');
    }
    reply(200, 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${secretPath}`,
    payloads,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

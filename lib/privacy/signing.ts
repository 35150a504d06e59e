import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { writeAtomic } from '../io/atomic.ts';
import { InvalidInputError } from '../errors.ts';

/**
 * Detached OpenPGP signatures (RFC 4880 §5.2, §11.4) over the attestation statement, made and checked
 * with openpgp.js, so that anyone can check them with `gpg --verify statement.asc statement.json`.
 */

/** The key that signs a statement, with what a verifier needs: its public part and fingerprint. */
export interface SigningKey {
  privateKey: openpgp.PrivateKey;
  publicKeyArmored: string;
  /** The primary key's fingerprint as gpg prints it: 40 upper-case hex digits for a v4 key. */
  fingerprint: string;
  /** The key is the generated demo key, not one the user supplied: the statement says so (`demo_signed`). */
  demo: boolean;
}

export interface LoadSigningKeyOptions {
  /** A file holding an ASCII-armored private key; it wins over the environment variable. */
  keyFile?: string;
  /** The environment variable holding an ASCII-armored private key. */
  envVar?: string;
  /** The environment variable holding the passphrase of a protected key. */
  passphraseEnv?: string;
  /** Where the demo key is generated on first use and found afterwards (an ignored folder). */
  demoDir: string;
  /** The environment to read; the process's own by default. */
  env?: NodeJS.ProcessEnv;
}

export const DEMO_PRIVATE_KEY_FILE = 'demo-private.asc';
export const DEMO_PUBLIC_KEY_FILE = 'demo-public.asc';
export const DEMO_USER_ID = { name: 'evalset demo signing key', email: 'demo@evalset.invalid' };

const KEY_HINT =
  'Give an ASCII-armored OpenPGP private key (`gpg --armor --export-secret-keys <id>`), and its passphrase in the passphrase variable if it has one; or give none to sign with the demo key.';

function fingerprintOf(key: openpgp.Key): string {
  return key.getFingerprint().toUpperCase();
}

/** Read an armored private key and unlock it with the passphrase when it is protected; `source` names it in errors. */
async function readSigningKey(
  armoredKey: string,
  source: string,
  passphrase: string | undefined,
  passphraseEnv: string,
): Promise<openpgp.PrivateKey> {
  let key: openpgp.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey });
  } catch (err) {
    throw new InvalidInputError([{ file: source, message: `is not an ASCII-armored OpenPGP private key: ${(err as Error).message}` }], {
      hint: KEY_HINT,
    });
  }
  if (key.isDecrypted()) return key;
  if (passphrase === undefined)
    throw new InvalidInputError([{ file: source, message: `the private key is protected by a passphrase, and ${passphraseEnv} is not set` }], {
      hint: KEY_HINT,
    });
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch (err) {
    throw new InvalidInputError(
      [{ file: source, message: `the passphrase in ${passphraseEnv} does not unlock the key: ${(err as Error).message}` }],
      {
        hint: KEY_HINT,
      },
    );
  }
}

/**
 * The demo key, generated on first use (EdDSA over Curve25519, no passphrase) and reused afterwards.
 * The key is a v4 key with the legacy Ed25519 algorithm (RFC 4880bis EdDSA, algorithm 22), which gpg 2.2
 * reads; openpgp.js 6 spells that curve `curve25519Legacy`. Two processes that start at once both
 * generate one, but only the first to link its file into place wins, and both then use that one.
 */
async function demoSigningKey(demoDir: string): Promise<openpgp.PrivateKey> {
  const privatePath = join(demoDir, DEMO_PRIVATE_KEY_FILE);
  if (!existsSync(privatePath)) {
    const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [DEMO_USER_ID], format: 'armored' });
    mkdirSync(demoDir, { recursive: true });
    const tmp = `${privatePath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, privateKey, { mode: 0o600 });
    try {
      linkSync(tmp, privatePath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  return readSigningKey(readFileSync(privatePath, 'utf8'), privatePath, undefined, 'no passphrase');
}

/**
 * The signing key: the armored private key in `keyFile`, else in the environment variable `envVar`
 * (unlocked with the passphrase in `passphraseEnv` when protected), else the demo key in `demoDir`,
 * whose public part is written beside it as demo-public.asc.
 */
export async function loadSigningKey(options: LoadSigningKeyOptions): Promise<SigningKey> {
  const { keyFile, envVar = 'EVALSET_SIGNING_KEY', passphraseEnv = 'EVALSET_SIGNING_KEY_PASSPHRASE', demoDir, env = process.env } = options;
  const passphrase = env[passphraseEnv] || undefined;
  let privateKey: openpgp.PrivateKey;
  let demo = false;
  if (keyFile !== undefined) {
    if (!existsSync(keyFile)) throw new InvalidInputError([{ file: keyFile, message: 'the signing key file does not exist' }], { hint: KEY_HINT });
    privateKey = await readSigningKey(readFileSync(keyFile, 'utf8'), keyFile, passphrase, passphraseEnv);
  } else if (env[envVar]) {
    privateKey = await readSigningKey(env[envVar], `$${envVar}`, passphrase, passphraseEnv);
  } else {
    privateKey = await demoSigningKey(demoDir);
    demo = true;
  }
  const publicKeyArmored = privateKey.toPublic().armor();
  if (demo) {
    const publicPath = join(demoDir, DEMO_PUBLIC_KEY_FILE);
    if (!existsSync(publicPath) || readFileSync(publicPath, 'utf8') !== publicKeyArmored) writeAtomic(publicPath, publicKeyArmored);
  }
  return { privateKey, publicKeyArmored, fingerprint: fingerprintOf(privateKey), demo };
}

/** A detached, ASCII-armored signature over exactly these bytes (a binary-mode signature, type 0x00). */
export async function signDetached(bytes: Uint8Array, privateKey: openpgp.PrivateKey, date?: Date): Promise<string> {
  const message = await openpgp.createMessage({ binary: bytes, ...(date ? { date } : {}) });
  // With a given date, an Ed25519 (v4) signature over the same bytes is the same bytes: EdDSA is
  // deterministic (RFC 8032) once openpgp.js does not add its random salt notation (a guard against
  // fault attacks on the signing machine, which a reproducible release trades for byte identity).
  return openpgp.sign({
    message,
    signingKeys: privateKey,
    detached: true,
    format: 'armored',
    ...(date ? { date, config: { nonDeterministicSignaturesViaNotation: false } } : {}),
  });
}

export interface SignatureCheck {
  valid: boolean;
  /** The fingerprint of the key that made the signature, when it is valid. */
  fingerprint?: string;
  /** Why the signature is not valid. */
  reason?: string;
}

/**
 * Whether `armoredSignature` is a valid detached signature over `bytes` by the key in
 * `publicKeyArmored`. Never throws for a bad key, signature or mismatch: it says why instead.
 */
export async function verifyDetached(bytes: Uint8Array, armoredSignature: string, publicKeyArmored: string): Promise<SignatureCheck> {
  let publicKey: openpgp.Key;
  try {
    publicKey = await openpgp.readKey({ armoredKey: publicKeyArmored });
  } catch (err) {
    return { valid: false, reason: `the public key cannot be read: ${(err as Error).message}` };
  }
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature });
  } catch (err) {
    return { valid: false, reason: `the signature cannot be read: ${(err as Error).message}` };
  }
  const message = await openpgp.createMessage({ binary: bytes });
  let results: openpgp.VerifyMessageResult['signatures'];
  try {
    ({ signatures: results } = await openpgp.verify({ message, signature, verificationKeys: publicKey, format: 'binary' }));
  } catch (err) {
    return { valid: false, reason: `the signature cannot be checked: ${(err as Error).message}` };
  }
  if (results.length === 0) return { valid: false, reason: 'the signature file holds no signature' };
  const failures: string[] = [];
  for (const result of results) {
    try {
      await result.verified;
      return { valid: true, fingerprint: fingerprintOf(publicKey) };
    } catch (err) {
      failures.push(`key ID ${result.keyID.toHex().toUpperCase()}: ${(err as Error).message}`);
    }
  }
  return { valid: false, reason: `no signature by key ${fingerprintOf(publicKey)} is valid for these bytes (${failures.join('; ')})` };
}

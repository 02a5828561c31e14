// A secret is redacted in every form it takes on its way out (issue 14): raw, JSON-escaped to any
// depth (an ingress annotation holding JSON, inside the journal's JSON), URL-encoded, base64 at
// any alignment, as a number, after a template helper transformed it, and as the previous value
// of a secret being replaced.
import { describe, expect, it } from 'vitest';
import { Redactor, REDACTED } from '../../src/runner/engine/redact.js';
import { renderString, watchSecrets } from '../../src/runner/template/template.js';

// quotes and backslashes: each level of JSON escaping doubles them
const SECRET = 'p@ss"w\\rd/+=?&é-2026';

function redactor(...values: unknown[]): Redactor {
  const r = new Redactor();
  values.forEach((v) => r.add(v));
  return r;
}

describe('the forms of a secret', () => {
  it('raw, JSON-escaped once to four times, and URL-encoded', () => {
    const r = redactor(SECRET);
    let s = SECRET;
    for (let depth = 0; depth <= 4; depth++) {
      expect(r.redact(`x ${s} y`)).toBe(`x ${REDACTED} y`);
      expect(r.redact(`q=${encodeURIComponent(s)}`)).toBe(`q=${REDACTED}`);
      s = JSON.stringify(s).slice(1, -1);
    }
    // an annotation whose value is JSON, inside a manifest in JSON, inside a journal line
    const journalLine = JSON.stringify({ manifest: JSON.stringify({ metadata: { annotations: { a: JSON.stringify({ token: SECRET }) } } }) });
    expect(journalLine).not.toContain(SECRET);
    expect(r.redact(journalLine)).not.toMatch(/p@ss|w\\*rd/);
  });

  it('base64, wherever it sits in a longer encoded text', () => {
    const r = redactor(SECRET);
    for (const prefix of ['', 'a', 'ab', 'abc', 'user:']) {
      const b64 = Buffer.from(`${prefix}${SECRET}-tail`).toString('base64');
      const red = r.redact(b64);
      expect(red, `prefix ${JSON.stringify(prefix)}`).toContain(REDACTED);
      // no run of 8 characters of the secret's encoding is left
      const own = Buffer.from(SECRET).toString('base64').slice(4, 12);
      expect(red).not.toContain(own);
    }
  });

  it('a number (a sensitive Terraform output) is redacted as a value and in text', () => {
    const r = redactor(54321);
    expect(r.redactDeep({ port: 54321, text: 'port 54321' })).toEqual({ port: REDACTED, text: `port ${REDACTED}` });
  });

  it('a boolean secret is redacted only as a whole value', () => {
    const r = redactor(true);
    expect(r.redact('true')).toBe(REDACTED);
    expect(r.redact('it is true that')).toBe('it is true that');
  });
});

describe('a helper that transforms a secret yields a secret', () => {
  it('{{upper}}, {{json}}, {{replace}}, {{split}}/{{join}} and #each of a secret are redacted', () => {
    const r = redactor('s3cr3t-t0ken');
    watchSecrets(r);
    try {
      const data = { token: 's3cr3t-t0ken', other: 'plain' };
      for (const tpl of ['{{upper token}}', '{{json token}}', '{{replace token "-" "_"}}', '{{join (split token "-") "+"}}', '{{#each (split token "-")}}<{{this}}>{{/each}}', '{{concat "x" (upper token)}}']) {
        const out = String(renderString(tpl, data));
        expect(r.redact(`message: ${out}`), tpl).toBe(`message: ${REDACTED}`);
      }
      // plain values stay plain; a count or a test of a secret is not one
      expect(r.redact(String(renderString('{{upper other}}', data)))).toBe('PLAIN');
      renderString('{{length token}}', data);
      expect(r.redact('12')).toBe('12');
    } finally {
      watchSecrets(undefined);
    }
  });
});

describe('the previous value of a secret', () => {
  it('is redacted when a change replaces it (structured values)', () => {
    const r = redactor('new-secret-value');
    r.secretBefore({ data: { password: 'old-secret-value', user: 'admin' } }, { data: { password: 'new-secret-value', user: 'admin' } });
    expect(r.redact('before old-secret-value after new-secret-value user admin')).toBe(`before ${REDACTED} after ${REDACTED} user admin`);
  });

  it('is redacted in text (a config file), by the key of the line', () => {
    const r = redactor('new-secret-value');
    r.secretBefore('user: admin\npassword: "old-secret-value"\n', 'user: admin\npassword: "new-secret-value"\n');
    expect(r.redact('old-secret-value')).toBe(REDACTED);
    expect(r.redact('admin')).toBe('admin');
  });

  it('in a list of header values', () => {
    const r = redactor('new-header-value');
    r.secretBefore(['old-header-value'], ['new-header-value']);
    expect(r.redact('old-header-value')).toBe(REDACTED);
  });
});

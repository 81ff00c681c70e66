import { describe, expect, it } from 'vitest';
import { maskForms } from './mask-forms.js';
import { createMasker } from './masker.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const hex = (text: string) => Buffer.from(text).toString('hex');

function masking(...values: string[]) {
  const masker = createMasker();
  for (const value of values) masker.add(value);
  return masker;
}

describe('createMasker', () => {
  it('returns the text itself and stays inactive while nothing is registered', () => {
    const masker = createMasker();
    const text = 'nothing to hide';
    expect(masker.active).toBe(false);
    expect(masker.apply(text)).toBe(text);
  });

  it('replaces every occurrence of a value with ***', () => {
    const masker = masking('hunter2');
    expect(masker.active).toBe(true);
    expect(masker.apply('pw=hunter2, again hunter2!')).toBe('pw=***, again ***!');
  });

  it('ignores blank values', () => {
    const masker = masking('', '  \t', '\r\n');
    expect(masker.active).toBe(false);
    expect(masker.apply('a b')).toBe('a b');
  });

  it('hides the whole of overlapping and adjacent values', () => {
    const masker = masking('abc', 'bcd', 'xy');
    expect(masker.apply('0abcd1 abcxy2')).toBe('0***1 ***2');
  });

  it('masks each line of a multi-line value', () => {
    const masker = masking('line-one\r\nline-two');
    expect(masker.apply('got line-two here')).toBe('got *** here');
  });

  it('masks a value declared with padding also when printed without it', () => {
    const masker = masking('  s3cr3t  ');
    expect(masker.apply('token=s3cr3t;')).toBe('token=***;');
    expect(masker.apply('[  s3cr3t  ]')).toBe('[***]');
  });

  it('finds every form of many values at once, whatever their characters and lengths', () => {
    const values = [
      ...Array.from({ length: 300 }, (_, i) => `secret-${i}-${'k'.repeat(i % 13)}`),
      'a.b*c(d)[e]$^|\\',
      'пароль😀漢字',
      // Values of one and two characters mask themselves, as on GitHub.
      'q',
      'zx',
    ];
    const masker = masking(...values);
    for (const value of values) {
      expect(masker.apply(`<${value}>`)).toBe('<***>');
      if (Buffer.byteLength(value) >= 3) expect(masker.apply(`<${b64(value)}>`)).toBe('<***>');
    }
    expect(masker.apply('quiz zx')).toBe('***uiz ***');
    expect(masker.apply('secret-x aXb*c(d)[e]$^|\\')).toBe('secret-x aXb*c(d)[e]$^|\\');
  });
});

describe('encoded forms', () => {
  const secret = 's3cr3t-Value';

  it('masks the base64 of the value', () => {
    expect(b64(secret)).toBe('czNjcjN0LVZhbHVl');
    expect(masking(secret).apply(`b64: ${b64(secret)}`)).toBe('b64: ***');
  });

  it('masks the base64 of the value inside a longer encoded string, at each byte alignment', () => {
    const masker = masking(secret);
    for (const prefix of ['', 'u:', 'us:', 'user:', 'a-user:']) {
      const encoded = b64(`${prefix}${secret}`);
      const masked = masker.apply(encoded);
      expect(masked, prefix).toContain('***');
      // What is left is the prefix's own characters and at most two characters of padding-edge.
      expect(masked.replace('***', '').length, prefix).toBeLessThanOrEqual(
        Math.ceil(prefix.length / 3) * 4 + 3,
      );
    }
  });

  it('masks base64 of the value followed by more bytes (`echo "$SECRET" | base64`)', () => {
    const echoed = b64(`${secret}\n`);
    expect(echoed).toBe('czNjcjN0LVZhbHVlCg==');
    expect(masking(secret).apply(echoed)).toBe('***Cg==');
    // 13 bytes: their last base64 character also holds bits of what follows, and is left out.
    expect(masking(`${secret}x`).apply(b64(`${secret}xab`))).toMatch(/^\*\*\*[A-Za-z0-9+/]{3}$/);
  });

  it('masks the hex of the value, lower and upper case', () => {
    const masker = masking(secret);
    expect(masker.apply(`hex ${hex(secret)}`)).toBe('hex ***');
    expect(masker.apply(`HEX ${hex(secret).toUpperCase()}`)).toBe('HEX ***');
  });

  it('registers encoded forms only for values of at least 3 bytes', () => {
    const masker = masking('ab', 'xyz');
    expect([b64('ab'), hex('ab'), b64('xyz'), hex('xyz')]).toEqual(['YWI=', '6162', 'eHl6', '78797a']);
    expect(masker.apply('YWI= 6162 eHl6 78797a 78797A')).toBe('YWI= 6162 *** *** ***');
  });

  it('registers the encoded forms of the value as given and of each of its lines', () => {
    const pem = '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----\n';
    const masker = masking(pem);
    expect(masker.apply(b64(pem))).toBe('***');
    expect(masker.apply(`x ${b64('MIIBOgIBAAJBAKj34GkxFhD9')} y`)).toBe('x *** y');
  });
});

describe('what a terminal would show', () => {
  const secret = 's3cr3t';

  it('masks a value with ANSI escape sequences inside it, and the sequences with it', () => {
    const masker = masking(secret);
    expect(masker.apply('x s3\x1b[1mcr3t\x1b[0m y')).toBe('x ***\x1b[0m y');
    expect(masker.apply('\x1b]0;title\x07s3c\x1b[31m\x1b[1mr3t')).toBe('\x1b]0;title\x07***');
    // `ESC s` is a two-character sequence: the literal text still holds the secret.
    expect(masker.apply('\x1bs3cr3t s3\x1b[0mcr3t')).toBe('\x1b*** ***');
    const plain = '\x1b[32mok\x1b[0m\r';
    expect(masker.apply(plain)).toBe(plain);
  });

  it('masks a value split by CR or LF inside one text (an annotation with %0A)', () => {
    const masker = masking(secret);
    expect(masker.apply('s3c\nr3t')).toBe('***');
    expect(masker.apply('s3c\r\nr3t and s3\rcr3t')).toBe('*** and ***');
  });

  it('masks a value written with GitHub escapes in a marker line', () => {
    const masker = masking('s3cr3t', 'a:b,c%d');
    expect(masker.applyToMarkerLine('::error::s3c%0Ar3t')).toBe('::error::***');
    expect(masker.applyToMarkerLine('::error title=a%3Ab%2Cc%25d::x')).toBe('::error title=***::x');
    // Ordinary lines are what they are: `%0A` there is not a line break.
    expect(masker.apply('s3c%0Ar3t')).toBe('s3c%0Ar3t');
  });
});

describe('incompleteFrom', () => {
  it('is where the longest form could still begin', () => {
    const masker = masking('abcdef');
    const longest = Math.max(...maskForms('abcdef').map((f) => f.length));
    const text = 'x'.repeat(100);
    expect(masker.incompleteFrom(text)).toBe(100 - (longest - 1));
    expect(masker.incompleteFrom('xy')).toBe(0);
  });

  it('counts visible characters, so escape sequences at the end are held with them', () => {
    const masker = masking('ab');
    expect(masker.incompleteFrom('xxxa\x1b[1m\x1b[0m')).toBe(3);
  });
});

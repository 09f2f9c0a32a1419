// Glob segments compile to anchored RegExps; a bad range is a clear error,
// not a raw "Invalid regular expression".

import { compileGlobSegment, GlobPatternError } from '../../src/host/glob-pattern.js';

describe('compileGlobSegment', () => {
  it('matches like the shell: ranges, negation, no leading dot', () => {
    const re = compileGlobSegment('nvidia[0-9]*');
    expect(re.test('nvidia0')).toBe(true);
    expect(re.test('nvidiactl')).toBe(false);
    expect(compileGlobSegment('[!a]x').test('bx')).toBe(true);
    expect(compileGlobSegment('*').test('.hidden')).toBe(false);
  });

  it('throws a GlobPatternError naming the backwards range and its fix', () => {
    expect(() => compileGlobSegment('[z-a]*')).toThrow(GlobPatternError);
    expect(() => compileGlobSegment('[z-a]*')).toThrow('glob "[z-a]*": the range z-a is out of order (z comes after a); write it as a-z');
    expect(() => compileGlobSegment('x[!9-0]')).toThrow(/range 9-0 is out of order/);
  });

  it('refuses an unclosed [ instead of matching it literally, and [[] still matches a literal [', () => {
    expect(() => compileGlobSegment('nvidia[abc')).toThrow(GlobPatternError);
    expect(() => compileGlobSegment('nvidia[abc')).toThrow('glob "nvidia[abc": the [ at character 7 is never closed');
    expect(compileGlobSegment('a[[]b').test('a[b')).toBe(true);
  });
});

import { formatMode, parseKernelInt, parseUdevMode } from '../../src/rules/kernel-int.js';

describe('parseKernelInt (base 0, as the kernel reads module parameters)', () => {
  it.each([
    ['438', 0o666],
    ['0666', 0o666],
    ['0x1b6', 0o666],
    ['0X1B6', 0o666],
    ['432', 0o660],
    ['0660', 0o660],
    ['0x1b0', 0o660],
    ['0', 0],
    ['00', 0],
    [' 438 ', 0o666],
  ])('%p is %o', (text, value) => {
    expect(parseKernelInt(text)).toBe(value);
  });

  it('reads 666 as decimal, which is not 0666', () => {
    expect(parseKernelInt('666')).toBe(666);
    expect(parseKernelInt('666')).not.toBe(0o666);
  });

  it.each(['0999', '08', '0x', '12abc', '', '-1', '4.5', '0o666'])('rejects %p as the kernel would', (text) => {
    expect(parseKernelInt(text)).toBeNull();
  });
});

describe('parseUdevMode (always octal)', () => {
  it('reads 0666 and 666 alike', () => {
    expect(parseUdevMode('0666')).toBe(0o666);
    expect(parseUdevMode('666')).toBe(0o666);
    expect(parseUdevMode('0660')).toBe(0o660);
  });
  it('rejects what is not octal', () => {
    expect(parseUdevMode('0x1b6')).toBeNull();
    expect(parseUdevMode('0999')).toBeNull();
    expect(parseUdevMode('$env{MODE}')).toBeNull();
  });
});

it('formats modes as people write them', () => {
  expect(formatMode(0o666)).toBe('0666');
  expect(formatMode(0o60)).toBe('0060');
  expect(formatMode(0o4755)).toBe('04755');
});

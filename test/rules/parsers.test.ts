import { logicalLines } from '../../src/rules/config-files.js';
import { parseModprobeOptions } from '../../src/rules/modprobe-parse.js';
import { parseUdevRules } from '../../src/rules/udev-parse.js';
import { parseKeyValues } from '../../src/rules/matchers/key-value-file.js';

describe('modprobe.d options', () => {
  it('reads every NAME=VALUE of an options line, with continuations, and skips comments', () => {
    const text = [
      '# options nvidia NVreg_DeviceFileMode=432',
      'options nvidia NVreg_DeviceFileGID=44 \\',
      '   NVreg_DeviceFileMode=0660',
      'options nvidia-drm modeset=1',
      'blacklist nouveau',
      'options nvidia NVreg_RegistryDwords="a=1; b=2"',
    ].join('\n');
    expect(parseModprobeOptions(text)).toEqual([
      { line: 2, module: 'nvidia', name: 'NVreg_DeviceFileGID', value: '44' },
      { line: 2, module: 'nvidia', name: 'NVreg_DeviceFileMode', value: '0660' },
      { line: 4, module: 'nvidia_drm', name: 'modeset', value: '1' },
      { line: 6, module: 'nvidia', name: 'NVreg_RegistryDwords', value: 'a=1; b=2' },
    ]);
  });
});

describe('udev rules', () => {
  it('splits a rule into key/op/value pairs', () => {
    const [rule] = parseUdevRules('KERNEL=="nvidia[0-9]*", GROUP="video", MODE="0660", RUN+="/bin/chgrp video /dev/%k"\n');
    expect(rule!.line).toBe(1);
    expect(rule!.pairs).toEqual([
      { key: 'KERNEL', attr: undefined, op: '==', value: 'nvidia[0-9]*' },
      { key: 'GROUP', attr: undefined, op: '=', value: 'video' },
      { key: 'MODE', attr: undefined, op: '=', value: '0660' },
      { key: 'RUN', attr: undefined, op: '+=', value: '/bin/chgrp video /dev/%k' },
    ]);
  });
  it('reads ATTR{...} keys and skips comments', () => {
    const rules = parseUdevRules('# KERNEL=="x", MODE="0600"\nSUBSYSTEM=="pci", ATTR{vendor}=="0x10de", MODE="0666"\n');
    expect(rules).toHaveLength(1);
    expect(rules[0]!.line).toBe(2);
    expect(rules[0]!.pairs[1]).toEqual({ key: 'ATTR', attr: 'vendor', op: '==', value: '0x10de' });
  });
});

it('joins backslash continuations and numbers by the first line', () => {
  expect(logicalLines('a \\\nb\nc')).toEqual([
    { line: 1, text: 'a  b' },
    { line: 3, text: 'c' },
  ]);
});

it('reads the driver params format', () => {
  const m = parseKeyValues('ModifyDeviceFiles: 1\nDeviceFileUID: 0\nDeviceFileGID: 44\nDeviceFileMode: 432\nRegistryDwords: ""\n');
  expect(m.get('DeviceFileMode')).toBe('432');
  expect(m.get('DeviceFileGID')).toBe('44');
});

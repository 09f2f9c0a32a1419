import { scriptInvoking } from '../../src/host/wrapper-script.js';

const ORIGINAL = '/usr/sbin/ub-device-create.original';
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(56)]);
const at = (text: string) => scriptInvoking(Buffer.from(text), ORIGINAL);

describe('scriptInvoking: a wrapper is a script that runs the saved original', () => {
  it('recognises the DS01 wrapper', () => {
    expect(at('#!/bin/bash\n# DS01 wrapper for NVIDIA ub-device-create\nset -e\n/usr/sbin/ub-device-create.original "$@"\n')).toEqual({
      line: 4,
      text: '/usr/sbin/ub-device-create.original "$@"',
      description: 'a script (#!/bin/bash)',
    });
  });

  it.each([
    ['by file name, relative to its directory', '#!/bin/sh\ncd "$(dirname "$0")" && ./ub-device-create.original "$@"\nchmod 0660 /dev/nvidia*\n', 2],
    ['as "$0.original"', '#!/bin/sh\n"$0.original" "$@"; chgrp video /dev/nvidia*\n', 2],
    ['as ${0}.original', '#!/bin/sh\nexec ${0}.original "$@"\n', 2],
    ['as ${BASH_SOURCE[0]}.original', '#!/bin/bash\nREAL="${BASH_SOURCE[0]}.original"\n"$REAL" "$@"\n', 2],
    ['without a #! line (sh runs it)', '/usr/sbin/ub-device-create.original "$@"\nchmod 0660 /dev/nvidia0\n', 1],
  ])('recognises a wrapper written differently: %s', (_what, text, line) => {
    expect(at(text)?.line).toBe(line);
  });

  it.each([
    ['the native binary, even if its bytes contain the name', Buffer.concat([ELF, Buffer.from('ub-device-create.original')])],
    ['an empty file', Buffer.alloc(0)],
    ['a script that never runs the original', Buffer.from('#!/bin/sh\nmknod /dev/nvidia0 c 195 0\n')],
    ['a script that names it only in a comment', Buffer.from('#!/bin/sh\n# was: /usr/sbin/ub-device-create.original\nexit 0\n')],
  ])('does not take %s for a wrapper', (_what, content) => {
    expect(scriptInvoking(content, ORIGINAL)).toBeNull();
  });

  it('keeps a # inside quotes or words as code', () => {
    expect(at('#!/bin/sh\necho "#" && /usr/sbin/ub-device-create.original\n')?.line).toBe(2);
  });

  it('reads a hostile megabyte in one pass (no backtracking): chmod chmod ..., $a$a$a ...', () => {
    expect(at('#!/bin/sh\n' + 'chmod '.repeat(200_000))).toBeNull();
    expect(at('#!/bin/sh\n' + '$a'.repeat(500_000))).toBeNull();
    expect(at('#!/bin/sh\n' + '${'.repeat(500_000) + '.original')).toBeNull();
  });
});

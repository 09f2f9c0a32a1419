// What reaches a person's terminal: control characters from the host's data
// escaped (text and markdown; JSON is left to its encoder), and colour when
// stdout is a terminal that wants it (no-color.org: NO_COLOR set and not
// empty turns it off, as does --no-color; FORCE_COLOR forces it).

import { escapeControls } from '../plan/render-escape.js';
import type { CliArgs } from './args.js';
import type { Output } from './output.js';

export function colourWanted(args: Pick<CliArgs, 'format' | 'noColor'>, stdoutIsTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (args.format !== 'text' || args.noColor) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  return stdoutIsTTY && env.TERM !== 'dumb';
}

const SGR = { red: '31', green: '32', yellow: '33', cyan: '36', bold: '1' } as const;
type Colour = keyof typeof SGR;

function paint(colour: Colour, text: string): string {
  return `\x1b[${SGR[colour]}m${text}\x1b[0m`;
}

const ACTION_COLOUR: Record<string, Colour> = { '+': 'green', '-': 'red', '~': 'yellow' };

/**
 * The colour of one line of rendered text, judged by the markers the text
 * renderers put at fixed places: change lines (+ ~ -), diff and member lines,
 * apply outcomes, errors and findings. Runs after escaping, so a name from
 * the host cannot start a line of its own.
 */
function colourOf(line: string): Colour | null {
  let m = /^([+~-]) /.exec(line);
  if (m) return ACTION_COLOUR[m[1]!]!;
  if (/^ {4}(@@ |\+\+\+ |--- )/.test(line)) return 'cyan';
  m = /^ {4}([+-])/.exec(line);
  if (m) return ACTION_COLOUR[m[1]!]!;
  m = /^ {2}ok +([+~-]) /.exec(line);
  if (m) return ACTION_COLOUR[m[1]!]!;
  if (/^ {2}(FAILED|x |CRITICAL)/.test(line) || /^Errors:$/.test(line) || /^The host is NOT converged/.test(line)) return 'red';
  if (/^ {2}(skipped|WARNING)/.test(line) || /^warning: /.test(line)) return 'yellow';
  if (/^The host is converged\.$/.test(line) || /^Check clean:/.test(line)) return 'green';
  if (/^Check DRIFT:/.test(line)) return 'yellow';
  if (/^Check error:/.test(line)) return 'red';
  m = /^ {2}([+~-]) /.exec(line); // --history targets
  if (m) return ACTION_COLOUR[m[1]!]!;
  return null;
}

export function colourise(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const c = colourOf(line);
      return c === null || line === '' ? line : paint(c, line);
    })
    .join('\n');
}

/** The Output a command writes through: escaped, and coloured when wanted. */
export function humanOutput(io: Output, args: CliArgs, env: NodeJS.ProcessEnv = process.env): Output {
  const colour = colourWanted(args, io.isTTY, env);
  const raw = args.format === 'json';
  return {
    out: (t) => io.out(raw ? t : colour ? colourise(escapeControls(t)) : escapeControls(t)),
    err: (t) => io.err(escapeControls(t)),
    isTTY: io.isTTY,
    errIsTTY: io.errIsTTY,
    ...(io.status ? { status: io.status } : {}),
  };
}

import { describe, expect, it } from 'vitest';
import { PARSE_LIMITS, mergeFiles, parseAgentReply, type ParsedObservation } from '../../src/agent/parser.js';

const obs = (inner: string): string => `<observation>${inner}</observation>`;

/** Small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REALISTIC = `I'll record what this edit teaches about the project.

\`\`\`xml
<observation>
  <type>change</type>
  <title>Greeting target in src/app.ts main() renamed from 'world' to 'sandbox'</title>
  <subtitle>main() now calls greet('sandbox') instead of greet('world').</subtitle>
  <facts>
    <fact>src/app.ts main() prints greet('sandbox') via console.log</fact>
    <fact>greet() is defined in src/util.ts and imported by src/app.ts</fact>
  </facts>
  <narrative>The user asked to rename the greeting target. The only call site is main() in src/app.ts, so a one-line Edit was enough; greet() itself in src/util.ts is unchanged.</narrative>
  <concepts>
    <concept>what-changed</concept>
    <concept>how-it-works</concept>
  </concepts>
  <files_read>
    <file>/home/user/project/src/app.ts</file>
  </files_read>
  <files_modified>
    <file>/home/user/project/src/app.ts</file>
  </files_modified>
</observation>

<observation>
  <type>discovery</type>
  <title>docs/NOTES.md documents greet() and main()</title>
  <subtitle>New notes file for the project's functions.</subtitle>
  <facts><fact>docs/NOTES.md says greet() lives in src/util.ts</fact></facts>
  <narrative>A notes file was created to document greet().</narrative>
  <concepts><concept>why-it-exists</concept></concepts>
  <files_read></files_read>
  <files_modified><file>/home/user/project/docs/NOTES.md</file></files_modified>
</observation>
\`\`\`

Let me know if you need anything else.`;

describe('parseAgentReply: well-formed and realistic replies', () => {
  it('parses observations wrapped in prose and a code fence', () => {
    const r = parseAgentReply(REALISTIC);
    expect(r.skipped).toBe(false);
    expect(r.summary).toBeNull();
    expect(r.warnings).toEqual([]);
    expect(r.observations).toHaveLength(2);
    expect(r.observations[0]).toEqual<ParsedObservation>({
      type: 'change',
      title: "Greeting target in src/app.ts main() renamed from 'world' to 'sandbox'",
      subtitle: "main() now calls greet('sandbox') instead of greet('world').",
      facts: [
        "src/app.ts main() prints greet('sandbox') via console.log",
        'greet() is defined in src/util.ts and imported by src/app.ts',
      ],
      narrative:
        "The user asked to rename the greeting target. The only call site is main() in src/app.ts, so a one-line Edit was enough; greet() itself in src/util.ts is unchanged.",
      concepts: ['what-changed', 'how-it-works'],
      files_read: ['/home/user/project/src/app.ts'],
      files_modified: ['/home/user/project/src/app.ts'],
    });
    expect(r.observations[1].title).toBe('docs/NOTES.md documents greet() and main()');
    expect(r.observations[1].files_read).toEqual([]);
    expect(r.observations[1].files_modified).toEqual(['/home/user/project/docs/NOTES.md']);
  });

  it('fills missing optional fields with empty defaults', () => {
    const r = parseAgentReply(obs('<type>bugfix</type><title>Fix off-by-one in pager.ts nextPage()</title>'));
    expect(r.observations).toEqual([
      {
        type: 'bugfix',
        title: 'Fix off-by-one in pager.ts nextPage()',
        subtitle: '',
        narrative: '',
        facts: [],
        concepts: [],
        files_read: [],
        files_modified: [],
      },
    ]);
    expect(r.skipped).toBe(false);
  });

  it('matches tag names case-insensitively', () => {
    const r = parseAgentReply('<OBSERVATION><Type>Feature</Type><TITLE>Add --json flag</TITLE><Facts><FACT>cli.ts parses --json</FACT></Facts></Observation>');
    expect(r.observations[0]).toMatchObject({ type: 'feature', title: 'Add --json flag', facts: ['cli.ts parses --json'] });
  });

  it('keeps indices right when non-ASCII letters change length when lower-cased', () => {
    // 'İ'.toLowerCase() is two UTF-16 units; a naive lower-casing would shift every position.
    const r = parseAgentReply('İİİİ ' + obs('<type>discovery</type><title>Ünïcødé İstanbul title</title><narrative>ŞĞÜ narrative</narrative>'));
    expect(r.observations[0].title).toBe('Ünïcødé İstanbul title');
    expect(r.observations[0].narrative).toBe('ŞĞÜ narrative');
  });

  it('decodes XML entities, numeric ones included, and keeps CDATA verbatim', () => {
    const r = parseAgentReply(
      obs(
        '<type>discovery</type><title>Tom &amp; Jerry &lt;T&gt; &quot;q&quot; &apos;a&apos; &#65;&#x42;&#X1F600;</title>' +
          '<narrative><![CDATA[if (a < b && c > d) { return "&amp;"; }]]> then &lt;done&gt;</narrative>' +
          '<facts><fact>bad &#0; and &#xD800; and &#99999999; and &unknown; stay safe</fact></facts>',
      ),
    );
    const o = r.observations[0];
    expect(o.title).toBe('Tom & Jerry <T> "q" \'a\' AB😀');
    expect(o.narrative).toBe('if (a < b && c > d) { return "&amp;"; } then <done>');
    expect(o.facts).toEqual(['bad \uFFFD and \uFFFD and &#99999999; and &unknown; stay safe']);
  });

  it('tolerates unescaped < and & in text', () => {
    const r = parseAgentReply(obs('<type>gotcha</type><title>Map<string, T[]> && friends</title><narrative>a < b & c</narrative>'));
    expect(r.observations[0].title).toBe('Map<string, T[]> && friends');
    expect(r.observations[0].narrative).toBe('a < b & c');
  });

  it('trims whitespace, collapses the title and subtitle to one line, keeps narrative lines', () => {
    const r = parseAgentReply(obs('<type> decision </type><title>\n  Use   WAL\n mode </title><subtitle>  a\n b </subtitle><narrative>\n  Line one.\nLine two.\n</narrative>'));
    expect(r.observations[0]).toMatchObject({ type: 'decision', title: 'Use WAL mode', subtitle: 'a b', narrative: 'Line one.\nLine two.' });
  });

  it('accepts an <observations> wrapper and attributes on tags', () => {
    const r = parseAgentReply('<observations><observation id="1"><type>change</type><title>A</title></observation><observation id="2"><title>B</title><type>change</type></observation></observations>');
    expect(r.observations.map((o) => o.title)).toEqual(['A', 'B']);
  });
});

describe('parseAgentReply: types and concepts', () => {
  it('maps an unknown type to discovery and says so', () => {
    const r = parseAgentReply(obs('<type>insight</type><title>Config is read once at startup</title>'));
    expect(r.observations[0].type).toBe('discovery');
    expect(r.warnings.join('\n')).toMatch(/unknown type "insight"/);
  });

  it('accepts near-miss spellings of known types', () => {
    const types = ['Security-Alert', 'security alert', 'BUGFIX', 'bug', 'feat', 'Refactoring'].map(
      (t) => parseAgentReply(obs(`<type>${t}</type><title>t</title>`)).observations[0].type,
    );
    expect(types).toEqual(['security_alert', 'security_alert', 'bugfix', 'bugfix', 'feature', 'refactor']);
  });

  it('defaults a missing type to discovery', () => {
    const r = parseAgentReply(obs('<title>No type here</title>'));
    expect(r.observations[0].type).toBe('discovery');
    expect(r.warnings.join('\n')).toMatch(/no type/);
  });

  it('drops unknown concepts, normalizes spelling and dedupes', () => {
    const r = parseAgentReply(
      obs('<type>bugfix</type><title>t</title><concepts><concept>Gotcha</concept><concept>problem solution</concept><concept>vibes</concept><concept>gotcha</concept><concept>trade_off</concept></concepts>'),
    );
    expect(r.observations[0].concepts).toEqual(['gotcha', 'problem-solution', 'trade-off']);
    expect(r.warnings.join('\n')).toMatch(/unknown concepts vibes/);
  });

  it('reads concepts written as a comma list', () => {
    const r = parseAgentReply(obs('<type>bugfix</type><title>t</title><concepts>gotcha, pattern</concepts>'));
    expect(r.observations[0].concepts).toEqual(['gotcha', 'pattern']);
  });
});

describe('parseAgentReply: lists', () => {
  it('reads facts written as a bullet list instead of <fact> elements', () => {
    const r = parseAgentReply(obs('<type>change</type><title>t</title><facts>\n- first fact\n* second fact\n1. third fact\n\n</facts>'));
    expect(r.observations[0].facts).toEqual(['first fact', 'second fact', 'third fact']);
  });

  it('reads bare <fact> elements without a <facts> wrapper', () => {
    const r = parseAgentReply(obs('<type>change</type><title>t</title><fact>one</fact><fact>two</fact>'));
    expect(r.observations[0].facts).toEqual(['one', 'two']);
  });

  it('reads files written as plain lines and dedupes them', () => {
    const r = parseAgentReply(obs('<type>change</type><title>t</title><files_modified>\nsrc/a.ts\nsrc/b.ts, src/a.ts\n</files_modified><files_read><file/></files_read>'));
    expect(r.observations[0].files_modified).toEqual(['src/a.ts', 'src/b.ts']);
    expect(r.observations[0].files_read).toEqual([]);
  });

  it('dedupes facts and drops empty ones', () => {
    const r = parseAgentReply(obs('<type>change</type><title>t</title><facts><fact>x</fact><fact> </fact><fact>x</fact></facts>'));
    expect(r.observations[0].facts).toEqual(['x']);
  });
});

describe('parseAgentReply: titles and caps', () => {
  it('drops an observation without a title, or with a blank one', () => {
    const r = parseAgentReply(obs('<type>change</type><narrative>no title</narrative>') + obs('<title>   </title>') + obs('<title>kept</title>'));
    expect(r.observations.map((o) => o.title)).toEqual(['kept']);
    expect(r.warnings.filter((w) => /no title/.test(w))).toHaveLength(2);
  });

  it(`keeps at most PARSE_LIMITS.observations observations per reply`, () => {
    const n = PARSE_LIMITS.observations;
    const text = Array.from({ length: n + 5 }, (_, i) => obs(`<type>change</type><title>obs ${i}</title>`)).join('\n');
    const r = parseAgentReply(text);
    expect(r.observations).toHaveLength(n);
    expect(r.observations[n - 1].title).toBe(`obs ${n - 1}`);
    expect(r.warnings.join('\n')).toMatch(/ignored the last 5/);
  });

  it('caps every field', () => {
    const facts = Array.from({ length: 30 }, (_, i) => `<fact>${i}-${'f'.repeat(2000)}</fact>`).join('');
    const r = parseAgentReply(
      obs(`<type>change</type><title>${'t'.repeat(1000)}</title><subtitle>${'s'.repeat(5000)}</subtitle><narrative>${'n'.repeat(10_000)}</narrative><facts>${facts}</facts>`),
    );
    const o = r.observations[0];
    expect(o.title.length).toBeLessThanOrEqual(PARSE_LIMITS.title);
    expect(o.title.endsWith('…')).toBe(true);
    expect(o.subtitle.length).toBeLessThanOrEqual(PARSE_LIMITS.subtitle);
    expect(o.narrative.length).toBeLessThanOrEqual(PARSE_LIMITS.narrative);
    expect(o.facts).toHaveLength(PARSE_LIMITS.facts);
    expect(o.facts.every((f) => f.length <= PARSE_LIMITS.fact)).toBe(true);
    expect(o.facts[0].startsWith('0-fff')).toBe(true);
  });
});

describe('parseAgentReply: truncated and sloppy output', () => {
  it('keeps the complete fields of a final observation cut off mid-narrative', () => {
    const r = parseAgentReply(
      obs('<type>change</type><title>first</title>') +
        '\n<observation><type>bugfix</type><title>Retry on 529 in ClaudeProvider</title><facts><fact>529 is overloaded</fact><fact>retry-aft',
    );
    expect(r.observations).toHaveLength(2);
    expect(r.observations[1]).toMatchObject({ type: 'bugfix', title: 'Retry on 529 in ClaudeProvider', facts: ['529 is overloaded'], narrative: '' });
  });

  it('drops a final observation cut off before its title closed', () => {
    const r = parseAgentReply(obs('<type>change</type><title>first</title>') + '<observation><type>bugfix</type><title>Retry on 5');
    expect(r.observations.map((o) => o.title)).toEqual(['first']);
  });

  it('drops a narrative that was cut off, and plain-text facts in a cut-off list', () => {
    const r = parseAgentReply('<observation><type>change</type><title>T</title><narrative>It was half writ');
    expect(r.observations[0]).toMatchObject({ title: 'T', narrative: '' });
    const r2 = parseAgentReply('<observation><type>change</type><title>T</title><facts>\n- one\n- tw');
    expect(r2.observations[0].facts).toEqual([]);
  });

  it('ends a field the model forgot to close at the next field, inside a closed block', () => {
    const r = parseAgentReply(obs('<type>change<title>Forgot closers<subtitle>sub</subtitle><narrative>story'));
    expect(r.observations[0]).toMatchObject({ type: 'change', title: 'Forgot closers', subtitle: 'sub', narrative: 'story' });
  });

  it('starts a new observation when the previous one was never closed', () => {
    const r = parseAgentReply('<observation><type>change</type><title>one</title>\n<observation><type>change</type><title>two</title></observation>');
    expect(r.observations.map((o) => o.title)).toEqual(['one', 'two']);
  });
});

describe('parseAgentReply: skips', () => {
  const skips = [
    '',
    '   \n\t ',
    '<skip/>',
    '<SKIP />',
    '```xml\n<skip/>\n```',
    'Nothing to record.',
    'No observations for this tool call.',
    'There is nothing worth remembering here — just a directory listing.',
    'No new learnings.',
  ];
  for (const text of skips) {
    it(`treats ${JSON.stringify(text)} as a skip without warnings`, () => {
      const r = parseAgentReply(text);
      expect(r).toEqual({ observations: [], summary: null, skipped: true, warnings: [] });
    });
  }

  it('treats other prose without blocks as a skip, with a warning for the log', () => {
    const r = parseAgentReply('The developer looked at the README.');
    expect(r.skipped).toBe(true);
    expect(r.observations).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/no <observation> or <summary>/);
  });

  it('prefers observations over a stray <skip/>', () => {
    const r = parseAgentReply('<skip/>\n' + obs('<type>change</type><title>real</title>'));
    expect(r.skipped).toBe(false);
    expect(r.observations).toHaveLength(1);
  });

  it('is a skip when every block is unusable', () => {
    const r = parseAgentReply(obs('<narrative>no title</narrative>'));
    expect(r.skipped).toBe(true);
    expect(r.warnings).toHaveLength(1);
  });
});

describe('parseAgentReply: summaries', () => {
  const SUMMARY = `Here is the summary:
<summary>
  <request>Rename the greeting target and document greet()</request>
  <investigated>src/app.ts, src/util.ts</investigated>
  <learned>greet() lives in src/util.ts; main() is the only caller</learned>
  <completed>Renamed to 'sandbox'; wrote docs/NOTES.md</completed>
  <next_steps>Add a unit test for greet()</next_steps>
  <notes></notes>
</summary>`;

  it('parses a summary with prose around it', () => {
    const r = parseAgentReply(SUMMARY);
    expect(r.skipped).toBe(false);
    expect(r.observations).toEqual([]);
    expect(r.summary).toEqual({
      request: 'Rename the greeting target and document greet()',
      investigated: 'src/app.ts, src/util.ts',
      learned: 'greet() lives in src/util.ts; main() is the only caller',
      completed: "Renamed to 'sandbox'; wrote docs/NOTES.md",
      next_steps: 'Add a unit test for greet()',
      notes: '',
    });
  });

  it('keeps complete fields of a truncated summary', () => {
    const r = parseAgentReply('<summary><request>R</request><investigated>I</investigated><learned>half a sen');
    expect(r.summary).toEqual({ request: 'R', investigated: 'I', learned: '', completed: '', next_steps: '', notes: '' });
  });

  it('returns null for an empty summary, and skips a <summary> mentioned in prose', () => {
    expect(parseAgentReply('<summary>\n</summary>').summary).toBeNull();
    expect(parseAgentReply('<summary><request> </request></summary>').skipped).toBe(true);
    const r = parseAgentReply('I will now write the <summary> as asked.\n<summary><request>R</request><next-steps>N</next-steps></summary>');
    expect(r.summary).toMatchObject({ request: 'R', next_steps: 'N' });
  });

  it('returns observations and a summary from the same reply', () => {
    const r = parseAgentReply(obs('<type>change</type><title>t</title>') + SUMMARY);
    expect(r.observations).toHaveLength(1);
    expect(r.summary?.request).toBe('Rename the greeting target and document greet()');
  });
});

describe('parseAgentReply: hostile input', () => {
  it('returns on 1 MB of random text', () => {
    const rand = rng(42);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz <>/&;#![]CDATA\n"\'=observationtitlefactsummary';
    let text = '';
    const chunk: string[] = [];
    for (let i = 0; i < 1_000_000; i++) chunk.push(alphabet[Math.floor(rand() * alphabet.length)]);
    text = chunk.join('');
    const r = parseAgentReply(text);
    expect(Array.isArray(r.observations)).toBe(true);
    expect(r.warnings.length).toBeLessThanOrEqual(21);
  });

  it('returns on 1 MB of random code units, lone surrogates included', () => {
    const rand = rng(43);
    const units: number[] = [];
    for (let i = 0; i < 1_000_000; i++) units.push(Math.floor(rand() * 0x10000));
    let text = '';
    for (let i = 0; i < units.length; i += 10_000) text += String.fromCharCode(...units.slice(i, i + 10_000));
    expect(parseAgentReply(text).observations).toEqual([]);
  });

  it('returns on 100k <observation> openers without closers, with bounded warnings', () => {
    const r = parseAgentReply('<observation>'.repeat(100_000));
    expect(r.observations).toEqual([]);
    expect(r.skipped).toBe(true);
    expect(r.warnings.length).toBeLessThanOrEqual(21);
    expect(r.warnings[r.warnings.length - 1]).toMatch(/more warnings left out/);
  });

  it('returns on other pathological repetitions', () => {
    const cases = [
      '<observation><title>'.repeat(50_000),
      '</observation>'.repeat(100_000),
      '<observation'.repeat(100_000),
      '<observation><facts>' + '<fact>'.repeat(100_000),
      '<summary>'.repeat(100_000),
      '&#'.repeat(500_000),
      '<'.repeat(1_000_000),
      '<![CDATA['.repeat(100_000),
      obs('<title>t</title><narrative>' + '<![CDATA['.repeat(50_000) + '</narrative>'),
    ];
    for (const text of cases) {
      const r = parseAgentReply(text);
      expect(r.observations.length).toBeLessThanOrEqual(PARSE_LIMITS.observations);
    }
  });

  it('keeps valid observations found among 100k garbage openers', () => {
    const r = parseAgentReply('<observation>'.repeat(100_000) + obs('<type>change</type><title>survivor</title>'));
    expect(r.observations.map((o) => o.title)).toEqual(['survivor']);
  });
});

describe('mergeFiles', () => {
  const base: ParsedObservation = {
    type: 'change',
    title: 't',
    subtitle: '',
    narrative: '',
    facts: [],
    concepts: [],
    files_read: ['/p/README.md', '/p/src/a.ts'],
    files_modified: ['/p/src/claimed.ts'],
  };

  it('unions claimed and seen files, seen first, without duplicates', () => {
    const merged = mergeFiles(base, { read: ['/p/src/a.ts', '/p/src/b.ts'], modified: ['/p/src/edited.ts'] });
    expect(merged.files_read).toEqual(['/p/src/a.ts', '/p/src/b.ts', '/p/README.md']);
    expect(merged.files_modified).toEqual(['/p/src/edited.ts', '/p/src/claimed.ts']);
    expect(merged.title).toBe('t');
    expect(base.files_modified).toEqual(['/p/src/claimed.ts']); // input not mutated
  });

  it('always includes what the tool inputs modified, even when the model claims nothing', () => {
    const merged = mergeFiles({ ...base, files_read: [], files_modified: [] }, { read: [], modified: ['/p/docs/NOTES.md'] });
    expect(merged.files_modified).toEqual(['/p/docs/NOTES.md']);
  });

  it('resolves relative claimed paths against cwd so they match the tools’ absolute paths', () => {
    const merged = mergeFiles(
      { ...base, files_read: [], files_modified: ['src/app.ts', '/abs/other.ts'] },
      { read: [], modified: ['/home/user/project/src/app.ts'] },
      '/home/user/project',
    );
    expect(merged.files_modified).toEqual(['/home/user/project/src/app.ts', '/abs/other.ts']);
    const noCwd = mergeFiles({ ...base, files_modified: ['src/app.ts'] }, { read: [], modified: [] });
    expect(noCwd.files_modified).toEqual(['src/app.ts']);
  });
});

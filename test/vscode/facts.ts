// Measured facts (e.g. activation time) that extension tests hand to the run's results file.
// Every test file is its own bundle, so the store lives on globalThis under a registered symbol.
const KEY = Symbol.for('tcpStateViewer.testFacts');
type Facts = Record<string, number | string>;

function store(): Facts {
  const g = globalThis as { [KEY]?: Facts };
  g[KEY] ??= {};
  return g[KEY];
}

export function reportFact(name: string, value: number | string): void {
  store()[name] = value;
}

export function collectFacts(): Facts {
  return { ...store() };
}

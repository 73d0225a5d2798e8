/** A tiny external family of inline node programs, for tests of the external route that need no real model. */
export const js = (code: string) => [process.execPath, '-e', `const fs = require('fs'); const a = process.argv.slice(1); ${code}`];
/** A working 1-D family: items are numbers, the model a file with the pool's weighted mean; a sample is n × (mean + 1). */
export const FAMILY = {
  real: [...js("fs.writeFileSync(a[1], Array.from({ length: +a[0] }, (_, i) => String(i % 7)).join('\\n'))"), '{n}', '{out}'],
  fit: [...js("const p = fs.readFileSync(a[0], 'utf8').trim().split('\\n').map(JSON.parse); fs.writeFileSync(a[1], String(p.reduce((s, r) => s + r.w * r.x, 0)))"), '{pool}', '{model}'],
  sample: [...js("const mu = +fs.readFileSync(a[0], 'utf8'); fs.writeFileSync(a[2], Array.from({ length: +a[1] }, () => String(mu + 1)).join('\\n'))"), '{model}', '{n}', '{out}'],
  evaluate: [...js("fs.writeFileSync(a[2], JSON.stringify({ mean: +fs.readFileSync(a[0], 'utf8') }))"), '{model}', '{test}', '{out}'],
};


// pa11y-ci (a bench dependency, benchmarks/audit.py) pulls in Puppeteer, whose install step would download
// a Chrome build of its own: this machine reaches only package registries, and the benchmark runs Debian's
// /usr/bin/chromium anyway (bin/setup also runs `npm ci --ignore-scripts`).
module.exports = { skipDownload: true };

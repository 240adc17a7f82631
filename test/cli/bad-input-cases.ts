/**
 * The bad-input catalogue: scripted wrong uses of every command, each with the exit code
 * it must give (2 unless said) and the words its message must hold (the field, and where it
 * helps the value). test/cli/bad-input-catalogue.test.ts runs them all in-process.
 *
 * To add a case: append to the command's list (or add a command key). `{dir}` in argv is a
 * fresh scratch directory per case; `files` are written into it first (paths relative to
 * it), so bad run directories, parameter files and configs need no fixtures on disk.
 * A case must fail on input: a lab start or a k6 run reached by one fails the test
 * (the catalogue stubs both), so a regression never starts anything.
 */
export interface BadInputCase {
  /** Arguments after `stampede`. */
  argv: string[];
  /** Substrings the error output must contain (field names first). */
  names: string[];
  /** Stable error code expected in the message's [CODE] tag. */
  code?: string;
  exit?: 1 | 2;
  files?: Record<string, string>;
  /** Why this case exists (an issue item, a past bug). */
  why?: string;
}

const envelope = (metrics: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    tool: 'stampede',
    kind: 'sim',
    name: 'cold-pull',
    seed: 1,
    params: {},
    metrics,
    points: [],
    runtime: { wallMs: 1, events: 1 },
    ...extra,
  });

/** A lab copy sweep's summary (as `stampede run copy-sweep --target lab` writes it) with these copy counts. */
const labSweep = (copies: number[], backends = 16) =>
  JSON.stringify({
    tool: 'stampede',
    kind: 'k6',
    name: 'copy-sweep',
    seed: 0,
    params: {
      lab: {
        backends,
        ceilingBps: 4e6,
        minStreamBps: 3e4,
        streamBps: 65536,
        retry: { retryAfterS: 1, maxRetries: 20 },
        parallelLayers: 3,
        layers: [262144],
      },
    },
    metrics: {},
    points: copies.map((c) => ({
      label: `C=${c}`,
      params: { 'storage.copies': c, 'workload.nodes': 50 },
      metrics: { pullS: { p50: 1, p90: 2, p99: 3, max: 3 } },
    })),
    runtime: { wallMs: 1, events: 1 },
  });

export const BAD_INPUT: Record<string, BadInputCase[]> = {
  stampede: [
    { argv: ['bogus'], names: ['stampede <command>', '"bogus"'] },
    { argv: ['--bogus'], names: ['stampede <command>', '"--bogus"'] },
  ],
  sim: [
    { argv: ['sim', 'bogus'], names: ['stampede sim <command>', '"bogus"'] },
    { argv: ['sim', 'copy-sweep', '--bogus'], names: ['--bogus'], code: 'UNKNOWN_FLAG' },
    { argv: ['sim', 'copy-sweep', '--seed', 'x'], names: ['--seed', '"x"'] },
    { argv: ['sim', 'copy-sweep', '--seed', '1.5'], names: ['--seed', '"1.5"'] },
    { argv: ['sim', 'copy-sweep', '--seed=-1'], names: ['--seed', '"-1"'] },
    { argv: ['sim', 'copy-sweep', '--seed', '4294967296'], names: ['--seed', '4294967296'] },
    { argv: ['sim', 'copy-sweep', '--seed'], names: ['--seed', 'expected a value'] },
    { argv: ['sim', 'copy-sweep', '--json'], names: ['--json', 'expected a value'] },
    { argv: ['sim', 'copy-sweep', '--set', 'nope=1'], names: ['nope'], code: 'UNKNOWN_PARAM' },
    { argv: ['sim', 'copy-sweep', '--set', 'workload.nodes=0'], names: ['workload.nodes', '0'] },
    {
      argv: ['sim', 'failover', '--set', 'trafficManager.probeIntervalS=0'],
      names: ['trafficManager.probeIntervalS', '0'],
    },
    { argv: ['sim', 'failover', '--set', 'fault.kind=bogus'], names: ['fault.kind', '"bogus"'] },
    { argv: ['sim', 'replication', '--set', 'strategies=bogus'], names: ['strategies[0]', '"bogus"'] },
    {
      argv: ['sim', 'cache-stampede', '--set', 'upstream.rateLimit.perMin=0'],
      names: ['upstream.rateLimit.perMin', '> 0', '0'],
      why: 'issue #20: a rate limit of 0 is refused, naming the field',
    },
    {
      argv: ['sim', 'cache-stampede', '--set', 'upstream.rateLimit.burst=0'],
      names: ['upstream.rateLimit.burst', '0'],
    },
    {
      argv: ['sim', 'cache-stampede', '--set', 'image.layers=1000,-5'],
      names: ['image.layers[1]', '-5'],
      why: 'issue #20: negative sizes',
    },
    {
      argv: ['sim', 'cache-stampede', '--set', 'image.manifestBytes=-1'],
      names: ['image.manifestBytes', '-1'],
    },
    {
      argv: ['sim', 'cache-stampede', '--set', 'cache.coalescing=sometimes'],
      names: ['cache.coalescing', '"sometimes"', 'per-front'],
      why: 'issue #20: unknown coalescing policy',
    },
    {
      argv: ['sim', 'cache-stampede', '--set', 'upstream.fault=flaky'],
      names: ['upstream.fault', '"flaky"'],
    },
    { argv: ['sim', 'cache-stampede', '--set', 'strategies=off,bogus'], names: ['strategies[1]', '"bogus"'] },
    {
      argv: ['sim', 'cache-stampede', '--set', 'upstream.faultStartS=60', '--set', 'upstream.faultEndS=30'],
      names: ['upstream.faultEndS', '30'],
    },
    { argv: ['sim', 'stamps', '--set', 'plan.thresholdPct=200'], names: ['plan.thresholdPct', '200'] },
    { argv: ['sim', 'copy-sweep', '--set', 'workload.nodes=many'], names: ['workload.nodes', 'many'] },
    { argv: ['sim', 'copy-sweep', '--jobs', '0'], names: ['--jobs', '"0"'] },
    { argv: ['sim', 'copy-sweep', '--jobs', '1.5'], names: ['--jobs', '"1.5"'] },
    { argv: ['sim', 'cold-pull', '--jobs', 'two'], names: ['--jobs', '"two"'] },
    { argv: ['sim', 'copy-sweep', '--set', 'workload.nodes'], names: ['workload.nodes'] },
    { argv: ['sim', 'copy-sweep', '--preset', 'no-such-preset'], names: ['no-such-preset'] },
    { argv: ['sim', 'copy-sweep', 'acr-copies-2026'], names: ['acr-copies-2026'] },
    { argv: ['sim', 'copy-sweep', '--params', '{dir}/missing.json'], names: ['--params', 'missing.json'] },
    {
      argv: ['sim', 'copy-sweep', '--params', '{dir}/p.json'],
      names: ['--params'],
      files: { 'p.json': '{not json' },
    },
    { argv: ['sim', 'copy-sweep', '--json', '/proc/nope/x.json'], names: ['--json', '/proc/nope/x.json'] },
    { argv: ['sim', 'copy-sweep', '--out', '/proc/nope'], names: ['--out', '/proc/nope'] },
    { argv: ['sim', 'cold-pull', '--set', 'storage.copies=0'], names: ['storage.copies', '0'] },
    { argv: ['sim', 'cold-pull', '--seed', 'abc'], names: ['--seed', '"abc"'] },
    { argv: ['sim', 'calibrate', '--model', 'cold-pull'], names: ['--model', 'cold-pull'] },
    { argv: ['sim', 'calibrate', '--iterations', '0'], names: ['--iterations', '0'] },
    { argv: ['sim', 'calibrate', '--iterations', 'many'], names: ['--iterations', 'many'] },
    { argv: ['sim', 'calibrate', '--write-preset', 'Bad_Name'], names: ['--write-preset', 'Bad_Name'] },
    { argv: ['sim', 'calibrate', '--target', '{dir}/none.json'], names: ['none.json'] },
    {
      argv: ['sim', 'calibrate', '--target', '{dir}/run'],
      names: ['--target', 'copy-sweep'],
      files: { 'run/summary.json': envelope({}) },
      why: 'issue 17: a target run that is not a lab sweep',
    },
    {
      argv: ['sim', 'calibrate', '--target', '{dir}/run'],
      names: ['--target: points', 'at least 3'],
      files: { 'run/summary.json': labSweep([1, 2]) },
      why: 'issue 17: fewer measured points than free parameters',
    },
    {
      argv: ['sim', 'calibrate', '--target', '{dir}/run'],
      names: ['storage.copies', '8'],
      files: { 'run/summary.json': labSweep([1, 2, 8], 4) },
      why: 'issue 17: copies above the backends',
    },
    {
      argv: ['sim', 'copy-sweep', '--set', 'lab.enabled=true', '--set', 'sweep.copies='],
      names: ['sweep.copies'],
      why: 'issue 17: an empty list',
    },
  ],
  lab: [
    { argv: ['lab', 'bogus'], names: ['stampede lab <command>', '"bogus"'] },
    { argv: ['lab', 'up', '--bogus'], names: ['--bogus'], code: 'UNKNOWN_FLAG' },
    { argv: ['lab', 'up', '--name', 'Bad_Name'], names: ['lab.name', 'Bad_Name'] },
    { argv: ['lab', 'up', '--set', 'storage.copies=9'], names: ['storage.copies', 'storage.backends'] },
    { argv: ['lab', 'up', '--set', 'storage.ceilingBps=fast'], names: ['storage.ceilingBps', '50M'] },
    { argv: ['lab', 'up', '--set', 'regions.clientRegion=mars'], names: ['regions.clientRegion', 'mars'] },
    { argv: ['lab', 'up', '--set', 'registry.port=70000'], names: ['registry.port', '70000'] },
    {
      argv: ['lab', 'up', '--set', 'registry.tlsPort=8080'],
      names: ['registry.tlsPort', 'registry.port', '8080'],
      code: 'PORT_CONFLICT',
      why: 'issue 12 item 6: equal ports passed validation and failed at start with a stack trace',
    },
    {
      argv: ['lab', 'up', '--set', 'registry.port=9000', '--set', 'registry.tlsPort=9000'],
      names: ['registry.tlsPort', 'registry.port', '9000'],
      code: 'PORT_CONFLICT',
    },
    {
      argv: ['lab', 'up', '--set', 'storage.homeBackends=9'],
      names: ['storage.homeBackends', 'storage.backends', '9'],
      why: 'issue 12 item 7: clamped to the backend count silently',
    },
    {
      argv: ['lab', 'up', '--name', 'alpha', '--set', 'lab.name=beta'],
      names: ['--name', 'lab.name', 'alpha', 'beta'],
      why: 'issue 12 item 7: --name silently won over --set lab.name',
    },
    {
      argv: ['lab', 'up', '--name', 'alpha', '--config', '{dir}/lab.json'],
      names: ['--name', 'lab.name', 'gamma'],
      files: { 'lab.json': '{"lab": {"name": "gamma"}}' },
    },
    { argv: ['lab', 'up', '--netns', 'off', '--set', 'lab.netns=on'], names: ['--netns', 'lab.netns'] },
    { argv: ['lab', 'up', '--netns', 'sometimes'], names: ['lab.netns', 'sometimes'] },
    { argv: ['lab', 'up', '--set', 'dns.toleratedFailures=10'], names: ['dns.toleratedFailures', '10'] },
    {
      argv: ['lab', 'up', '--set', 'replication.webhookUrl=ftp://x'],
      names: ['replication.webhookUrl', 'ftp://x'],
    },
    {
      argv: ['lab', 'up', '--set', 'registry.domain=example.com'],
      names: ['registry.domain', 'example.com'],
    },
    { argv: ['lab', 'up', '--set', 'regions.names=Bad'], names: ['regions.names', 'Bad'] },
    {
      argv: ['lab', 'up', '--set', 'lab.endpointProtocol=IPv6'],
      names: ['lab.endpointProtocol', 'IPv6', 'no IPv6-only'],
      why: 'issue 21: ACR has no IPv6-only mode',
    },
    {
      argv: [
        'lab',
        'up',
        '--set',
        'lab.endpointProtocol=IPv4AndIPv6',
        '--set',
        'registry.dataEndpoints=false',
      ],
      names: ['lab.endpointProtocol', 'data endpoints'],
      code: 'DUAL_STACK_NEEDS_DATA_ENDPOINTS',
      why: 'issue 21: dual stack requires dedicated data endpoints, as ACR enforces',
    },
    {
      argv: ['lab', 'up', '--netns', 'off', '--set', 'lab.endpointProtocol=IPv4AndIPv6'],
      names: ['lab.endpointProtocol', 'namespace'],
      code: 'DUAL_STACK_NEEDS_NETNS',
      why: 'issue 21: IPv6 addresses only inside the lab namespace, never on the host',
    },
    {
      argv: ['lab', 'fault', 'family-down', '--family', 'ipv5'],
      names: ['params.family', 'ipv4, ipv6', 'ipv5'],
      why: 'issue 21: an unknown family',
    },
    { argv: ['lab', 'fault', 'family-down'], names: ['params.family'] },
    {
      argv: ['lab', 'fault', 'family-down', '--family', 'ipv6', '--target', 'dns'],
      names: ['params.target', 'fronts, storage, all', 'dns'],
    },
    { argv: ['lab', 'up', '--detach=yes'], names: ['--detach', 'switch'] },
    { argv: ['lab', 'up', '--config', '{dir}/none.json'], names: ['--config'], code: 'CONFIG_UNREADABLE' },
    {
      argv: ['lab', 'up', '--config', '{dir}/bad.json'],
      names: ['--config'],
      code: 'CONFIG_INVALID',
      files: { 'bad.json': '{"storage": ' },
    },
    { argv: ['lab', 'down', '--name', '9lives'], names: ['--name', '9lives'] },
    { argv: ['lab', 'status', '--name', 'x'], names: ['--name', '"x"'] },
    {
      argv: ['lab', 'fault', 'clear', 'f1', '--all'],
      names: ['--all', 'f1'],
      why: 'issue 12 item 7: --all cleared everything and ignored the id',
    },
    { argv: ['lab', 'fault', 'clear'], names: ['<id>'] },
    { argv: ['lab', 'fault', 'clear', 'f1', 'f2'], names: ['<id>', 'f1 f2'] },
    { argv: ['lab', 'fault'], names: ['<kind>'], code: 'UNKNOWN_FAULT' },
    { argv: ['lab', 'fault', 'meteor'], names: ['meteor'] },
    { argv: ['lab', 'fault', 'region-down'], names: ['--region'] },
    {
      argv: ['lab', 'fault', 'front-latency', '--region', 'eastus', '--set', 'latencyMs=soon'],
      names: ['latencyMs', 'soon'],
    },
    { argv: ['lab', 'fault', 'region-down', 'storage-fail', '--region', 'eastus'], names: ['<kind>'] },
    { argv: ['lab', 'storage', '--copies', '0'], names: ['--copies', '0'] },
    { argv: ['lab', 'storage', '--backends', '0'], names: ['--backends', '0'] },
    {
      argv: ['lab', 'fault', 'storage-fail', '--region', 'eastus', '--backends', 'x'],
      names: ['backends', '"x"'],
    },
    { argv: ['lab', 'storage', '--ceiling', 'fast'], names: ['--ceiling', '50M'] },
    { argv: ['lab', 'storage', '--selection', 'best'], names: ['--selection', 'best'] },
    { argv: ['lab', 'exec', 'dig', 'x'], names: ['<command>', 'stampede lab exec -- dig x'] },
    { argv: ['lab', 'exec'], names: ['<command>'] },
    // issue 20: the pull-through cache
    {
      argv: ['lab', 'up', '--set', 'upstream.rateLimit.perMin=0'],
      names: ['upstream.rateLimit.perMin', '0'],
    },
    {
      argv: [
        'lab',
        'up',
        '--set',
        'upstream.enabled=true',
        '--set',
        'cache.rules=hub=upstream.stampede.test/a,hub/x=upstream.stampede.test/b',
      ],
      names: ['cache.rules[1]', 'hub/x', 'overlap'],
      code: 'CACHE_RULE_OVERLAP',
    },
    {
      argv: [
        'lab',
        'up',
        '--set',
        'upstream.enabled=true',
        '--set',
        'cache.rules=hub=registry-1.docker.io/library',
      ],
      names: ['cache.rules[0].upstream', 'registry-1.docker.io/library', 'loopback'],
      code: 'UPSTREAM_NOT_LOCAL',
    },
    {
      argv: ['lab', 'up', '--set', 'cache.rules=hub=upstream.stampede.test/library'],
      names: ['upstream.enabled'],
    },
    {
      argv: ['lab', 'cache-rule', 'add', 'hub', 'example.com/library'],
      names: ['rule.upstream', 'example.com/library'],
      code: 'UPSTREAM_NOT_LOCAL',
    },
    { argv: ['lab', 'cache-rule', 'add', 'hub'], names: ['<upstream>'] },
    { argv: ['lab', 'cache-rule', 'frob'], names: ['<verb>', 'frob'] },
    {
      argv: ['lab', 'cache', '--set', 'upstream.rateLimit.burst=0'],
      names: ['upstream.rateLimit.burst', '0'],
    },
    { argv: ['lab', 'cache', '--set', 'cache.rules=x'], names: ['cache.rules'], code: 'UNKNOWN_PARAM' },
    { argv: ['lab', 'seed-upstream'], names: ['--image'] },
    { argv: ['lab', 'seed-upstream', '--image', 'app:v1', '--layers', '0'], names: ['--layers', '0'] },
  ],
  run: [
    { argv: ['run'], names: ['<scenario>'] },
    { argv: ['run', 'bogus'], names: ['<scenario>', 'bogus'] },
    { argv: ['run', 'cold-pull', 'push-pull-race'], names: ['<scenario>'] },
    { argv: ['run', 'cold-pull', '--bogus'], names: ['--bogus'], code: 'UNKNOWN_FLAG' },
    { argv: ['run', 'cold-pull', '--target', 'ftp://x'], names: ['--target', 'ftp://x'] },
    { argv: ['run', 'cold-pull', '--target', 'not a url'], names: ['--target', 'not a url'] },
    { argv: ['run', 'cold-pull', '--target', 'https://u:p@x.azurecr.io'], names: ['--target'] },
    { argv: ['run', 'cold-pull', '--target', 'https://x.azurecr.io/v2/'], names: ['--target'] },
    { argv: ['run', 'cold-pull', '--set', 'vus=0'], names: ['vus', '0'] },
    { argv: ['run', 'copy-sweep', '--set', 'copies='], names: ['copies'], why: 'issue 17: an empty list' },
    { argv: ['run', 'copy-sweep', '--set', 'vus=0'], names: ['vus[0]', '0'] },
    { argv: ['run', 'copy-sweep', '--set', 'copies=1,x'], names: ['copies[1]', 'x'] },
    {
      argv: ['run', 'copy-sweep', '--target', 'http://127.0.0.1:1', '--set', 'copies=1,2'],
      names: ['copies', 'lab-only', 'LAB_ONLY_PARAM'],
      why: 'issue 17: a registry manages its own copies',
    },
    { argv: ['run', 'cold-pull', '--set', 'vus=lots'], names: ['vus', 'lots'] },
    {
      argv: ['run', 'cold-pull', '--set', 'dns.policy=onlyIPv4,onlyIPv7'],
      names: ['dns.policy', 'onlyIPv7'],
      why: 'issue 21: a swept value the parameter does not take',
    },
    {
      argv: ['run', 'cold-pull', '--set', 'vus=1,2', '--set', 'dns.policy=onlyIPv4,onlyIPv6'],
      names: ['--set', 'vus, dns.policy'],
      why: 'one swept parameter per run',
    },
    { argv: ['run', 'cold-pull', '--set', 'vus=1,2', '--json', '/tmp/x.json'], names: ['--json'] },
    { argv: ['run', 'cold-pull', '--set', 'nope=1'], names: ['nope'] },
    { argv: ['run', 'cold-pull', '--name', 'Bad!'], names: ['--name', 'Bad!'] },
    { argv: ['run', 'cold-pull', '--json', '/proc/nope/x.json'], names: ['--json', '/proc/nope/x.json'] },
    { argv: ['run', 'cold-pull', '--out'], names: ['--out', 'expected a value'] },
    ...[
      ['lab.probeIntervalS=0', 'lab.probeIntervalS', '0'],
      ['lab.toleratedFailures=-1', 'lab.toleratedFailures', '-1'],
      ['faultAtS=61', 'faultAtS', '61'],
      ['clearAtS=90', 'clearAtS', '90'],
      ['fault.kind=bogus', 'fault.kind', '"bogus"'],
      ['dns.ttl=5', 'dns.ttl', '"5"'],
    ].map(([set, field, value]) => ({
      argv: ['run', 'failover', '--set', set as string],
      names: [field as string, value as string],
      why: 'issue 15: interval 0, tolerated < 0, a fault time after the run ends, an unknown fault kind',
    })),
    {
      argv: ['run', 'failover', '--target', 'https://x.azurecr.io'],
      names: ['--target', 'x.azurecr.io'],
      why: 'the failover scenario injects its fault through the lab API',
    },
    {
      argv: ['run', 'cold-pull', '--target', 'https://x.azurecr.io?api-version=1'],
      names: ['--target', 'query'],
      why: 'issue 12 item 2: a query was silently dropped',
    },
    { argv: ['run', 'cold-pull', '--target', 'https://x.azurecr.io/#f'], names: ['--target', 'fragment'] },
    {
      argv: [
        'run',
        'cold-pull',
        '--target',
        'https://x.azurecr.io',
        '--set',
        'seed=false',
        '--set',
        'layers=1Mi',
      ],
      names: ['seed, layers', 'lab-only'],
      code: 'LAB_ONLY_PARAM',
      why: 'issue 12 item 2: lab-only parameters were ignored for a URL target',
    },
    {
      argv: ['run', 'cold-pull', '--target', 'https://x.azurecr.io'],
      names: ['--yes', 'plan'],
      code: 'CONFIRMATION_REQUIRED',
      why: 'issue 12 item 2: a real registry was loaded with no plan and no confirmation',
    },
    { argv: ['run', 'dns-bounce', '--set', 'flap.intervalS=0'], names: ['flap.intervalS', '0'] },
    { argv: ['run', 'dns-bounce', '--set', 'mitigations=none,bogus'], names: ['mitigations[1]', '"bogus"'] },
    { argv: ['run', 'dns-bounce', '--set', 'pushes=0'], names: ['pushes', '0'] },
    {
      argv: ['run', 'dns-bounce', '--target', 'https://x.azurecr.io', '--set', 'mitigations=none,regional'],
      names: ['regionalUrl', 'regional endpoint'],
      why: 'issue 14: regional endpoints missing for a URL target',
    },
    {
      argv: ['run', 'dns-bounce', '--target', 'https://x.azurecr.io', '--set', 'mitigations=none,dns-pin'],
      names: ['mitigations', 'dns-pin', 'https'],
    },
    {
      argv: ['run', 'dns-bounce', '--target', 'https://x.azurecr.io', '--set', 'flap.intervalS=2'],
      names: ['flap', 'lab-only'],
      code: 'LAB_ONLY_PARAM',
    },
    {
      argv: ['run', 'push-pull-race', '--set', 'offsets=-1'],
      names: ['offsets[0]', '-1'],
      why: 'issue 14: offset < 0',
    },
    {
      argv: ['run', 'push-pull-race', '--set', 'strategies=none,bogus'],
      names: ['strategies[1]', '"bogus"'],
      why: 'issue 14: unknown strategy',
    },
    {
      argv: ['run', 'push-pull-race', '--target', 'https://x.azurecr.io'],
      names: ['endpoints.push', 'regional endpoint'],
      why: 'issue 14: regional endpoints missing for a URL target',
    },
    {
      argv: [
        'run',
        'push-pull-race',
        '--target',
        'https://x.azurecr.io',
        '--set',
        'endpoints.push=https://x.eastus.geo.azurecr.io',
      ],
      names: ['endpoints.pull', 'regional endpoint'],
    },
    {
      argv: [
        'run',
        'push-pull-race',
        '--target',
        'https://x.azurecr.io',
        '--set',
        'endpoints.push=https://x.eastus.geo.azurecr.io',
        '--set',
        'endpoints.pull=https://x.westeurope.geo.azurecr.io',
      ],
      names: ['endpoints.events', 'wait-webhook'],
    },
    {
      argv: ['run', 'push-pull-race', '--target', 'https://x.azurecr.io', '--set', 'pushRegion=eastus'],
      names: ['pushRegion', 'lab-only'],
      code: 'LAB_ONLY_PARAM',
    },
    { argv: ['run', 'cold-pull', '--shards', '0'], names: ['--shards', '"0"'] },
    { argv: ['run', 'cold-pull', '--shards', 'four'], names: ['--shards', 'four'] },
    { argv: ['run', 'cold-pull', '--shards', '65', '--set', 'vus=1000'], names: ['--shards', '65'] },
    {
      argv: ['run', 'cold-pull', '--shards', '11', '--set', 'vus=10'],
      names: ['--shards', 'vus=10', '11'],
      why: 'a shard with no VU would start a k6 process that runs nothing',
    },
    { argv: ['run', 'cold-pull', '--k6-out', 'influxdb=http://x'], names: ['--k6-out', 'influxdb'] },
    { argv: ['run', 'cold-pull', '--k6-out', 'json='], names: ['--k6-out', 'json=FILE'] },
    {
      argv: ['run', 'cold-pull', '--k6-out', 'csv=/proc/nope/x.csv'],
      names: ['--k6-out', '/proc/nope/x.csv'],
    },
    {
      argv: ['run', 'cold-pull', '--k6-out', 'experimental-prometheus-rw=http://u:p@x/api/v1/write'],
      names: ['--k6-out', 'K6_PROMETHEUS_RW_SERVER_URL'],
      why: 'a remote-write URL may carry credentials: it travels in the environment, never in k6 arguments',
    },
    { argv: ['run', 'cold-pull', '--threshold', 'p(99)<5000'], names: ['--threshold', 'METRIC=EXPR'] },
    { argv: ['run', 'cold-pull', '--k6-memory-mib', '1.5G'], names: ['--k6-memory-mib', '1.5G'] },
    { argv: ['run', 'cold-pull', '--threshold', 'pull_duration=p99<5'], names: ['--threshold', 'p99<5'] },
  ],
  report: [
    { argv: ['report'], names: ['<run dir>'] },
    { argv: ['report', '{dir}/none'], names: ['none', 'no such directory'], code: 'BAD_RUN_DIR' },
    { argv: ['report', '{dir}'], names: ['summary.json', 'raw.ndjson'], code: 'BAD_RUN_DIR' },
    {
      argv: ['report', '{dir}'],
      names: ['summary.json'],
      code: 'BAD_RUN_DIR',
      files: { 'summary.json': '{"tool": "stampede",' },
    },
    {
      argv: ['report', '{dir}'],
      names: ['kind', '"sim" or "k6"'],
      code: 'BAD_RUN_DIR',
      files: { 'summary.json': envelope({}, { kind: 'bench' }) },
    },
    {
      argv: ['report', '{dir}'],
      names: ['metrics.podStartupS.p50', 'a number', '"fast"'],
      code: 'BAD_RUN_DIR',
      files: { 'summary.json': envelope({ podStartupS: { p50: 'fast', p90: 2, p99: 3, max: 4 } }) },
      why: 'issue 12 item 11: wrongly typed metrics rendered 0 charts with exit 0',
    },
    {
      argv: ['report', '{dir}'],
      names: ['metrics.throttleEvents', 'a number', '"12"'],
      code: 'BAD_RUN_DIR',
      files: { 'summary.json': envelope({ throttleEvents: '12' }) },
    },
    {
      argv: ['report', '{dir}'],
      names: ['metrics.backends', 'a list'],
      code: 'BAD_RUN_DIR',
      files: { 'summary.json': envelope({ backends: { id: 'b0' } }) },
    },
    {
      argv: ['report', '{dir}'],
      names: ['points[0].metrics.podStartupS', 'an object'],
      code: 'BAD_RUN_DIR',
      files: {
        'summary.json': envelope({}, { points: [{ label: 'C=1', params: {}, metrics: { podStartupS: 7 } }] }),
      },
    },
    { argv: ['report', '{dir}/a', '--out'], names: ['--out', 'expected a value'] },
    {
      argv: ['report', '{dir}', '--out', '/proc/nope/r.html'],
      names: ['--out', '/proc/nope/r.html'],
      files: { 'summary.json': envelope({}) },
    },
  ],
  demo: [
    { argv: ['demo', '--bogus'], names: ['--bogus'], code: 'UNKNOWN_FLAG' },
    { argv: ['demo', '--vus', '0'], names: ['--vus', '0'] },
    { argv: ['demo', '--vus', 'many'], names: ['--vus', 'many'] },
    { argv: ['demo', '--skip-lab=yes'], names: ['--skip-lab', 'switch'] },
    { argv: ['demo', 'now'], names: ['now'] },
    { argv: ['demo', '--out', '/proc/nope'], names: ['--out', '/proc/nope'] },
  ],
  gate: [
    { argv: ['gate'], names: ['--baseline', 'received nothing'] },
    {
      argv: ['gate', '--baseline', '{dir}/none', '--candidate', '{dir}/none'],
      names: ['--baseline', 'none'],
    },
    { argv: ['gate', '--bogus'], names: ['--bogus'], code: 'UNKNOWN_FLAG' },
    {
      argv: ['gate', '--baseline', '{dir}', '--candidate', '{dir}', '--rules', '{dir}/r.json'],
      names: ['rules[0].metric', 'nope.p99'],
      files: { 'summary.json': envelope({}), 'r.json': '{"rules":[{"metric":"nope.p99"}]}' },
    },
  ],
  baseline: [
    { argv: ['baseline', 'bogus'], names: ['stampede baseline <command>', '"bogus"'] },
    { argv: ['baseline', 'save'], names: ['NAME', 'received nothing'] },
    { argv: ['baseline', 'save', 'Bad Name', '{dir}'], names: ['NAME', '"Bad Name"'] },
  ],
  bundle: [
    { argv: ['bundle'], names: ['<scenario>', 'cold-pull'] },
    { argv: ['bundle', 'nope'], names: ['<scenario>', '"nope"'] },
    { argv: ['bundle', 'cold-pull', '--set', 'vus=0'], names: ['vus', '0'] },
    { argv: ['bundle', 'cold-pull', '--set', 'nodes=3'], names: ['--set nodes'], code: 'UNKNOWN_PARAM' },
    { argv: ['bundle', 'cold-pull', '--target', 'lab'], names: ['--target', '"lab"'] },
    { argv: ['bundle', 'cold-pull', '--threshold', 'pull_duration=p99<5'], names: ['--threshold', 'p99<5'] },
    { argv: ['bundle', 'cold-pull', '-o', '{dir}/no/x.js'], names: ['--output', 'existing directory'] },
  ],
  'k6-operator': [
    { argv: ['k6-operator', 'apply'], names: ['stampede k6-operator <command>', '"apply"'] },
    { argv: ['k6-operator', 'manifest', 'nope', '--parallelism', '2'], names: ['<scenario>', '"nope"'] },
    {
      argv: ['k6-operator', 'manifest', 'cold-pull', '--target', 'https://r.example'],
      names: ['--parallelism'],
    },
    {
      argv: ['k6-operator', 'manifest', 'cold-pull', '--parallelism', '2.5', '--target', 'https://r.example'],
      names: ['--parallelism', '"2.5"'],
    },
    {
      argv: ['k6-operator', 'manifest', 'cold-pull', '--parallelism', '2'],
      names: ['--target', 'not loopback'],
    },
    {
      argv: [
        'k6-operator',
        'manifest',
        'cold-pull',
        '--parallelism',
        '2',
        '--target',
        'http://localhost:5000',
      ],
      names: ['--target', 'localhost:5000'],
      why: "a pod's loopback is the pod itself, not the user's registry",
    },
    {
      argv: [
        'k6-operator',
        'manifest',
        'cold-pull',
        '--parallelism',
        '2',
        '--target',
        'https://r.example',
        '--secret-name',
        'A_B',
      ],
      names: ['--secret-name', '"A_B"'],
    },
    {
      argv: [
        'k6-operator',
        'manifest',
        'cold-pull',
        '--parallelism',
        '2',
        '--target',
        'https://r.example',
        '-o',
        '{dir}/no/x.json',
      ],
      names: ['--output', 'existing directory'],
    },
  ],
};

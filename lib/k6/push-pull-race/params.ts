/**
 * The push-pull-race scenario's parameters: the schema is the only place their defaults live.
 * The names of the strategy knobs (retry.*, fixedSleep.sleepS, offsets) are the simulator's
 * (sim/models/replication/params.ts), so a lab run and its simulated twin read alike. No Node
 * imports: the k6 entry imports its types.
 */
import { type Infer, int, num, numList, oneOf, str, strList } from '../../config/schema';

export const RACE_STRATEGIES = ['none', 'retry', 'fixed-sleep', 'wait-webhook', 'pin-home'] as const;
export type RaceStrategy = (typeof RACE_STRATEGIES)[number];

const URL_OR_EMPTY = /^(https?:\/\/[^/?#\s]+)?$/;

export const raceSchema = {
  mode: oneOf(['race', 'overwrite', 'delete'], {
    default: 'race',
    doc: 'race: every round pushes a new tag and pullers race its replication; overwrite: every round pushes the tag twice (d1, then d2 after overwrite.gapS) and pullers race the re-push; delete: every round pushes, then deletes the manifest at A after delete.gapS, and pullers race the delete (content still pulled is a ghost)',
  }),
  pullers: int({
    default: 10,
    min: 1,
    max: 5000,
    doc: 'puller VUs "in" the pull region; each round, puller i uses strategy (i + round) mod the number of strategies',
  }),
  offsets: numList({
    default: [0, 1, 2, 4],
    min: 0,
    max: 600,
    unit: 's',
    doc: 'first pull this long after the push ack; round k uses offsets[k mod count] for every puller',
  }),
  repeats: int({ default: 2, min: 1, max: 1000, doc: 'rounds per offset (rounds = repeats x offsets)' }),
  roundS: num({
    default: 20,
    gt: 0,
    max: 3600,
    unit: 's',
    doc: 'one push every roundS: long enough for the slowest strategy of a round (else the next round starts late and says so)',
  }),
  strategies: strList({
    default: [...RACE_STRATEGIES],
    pattern: new RegExp(`^(${RACE_STRATEGIES.join('|')})$`),
    doc: `pull strategies compared in one run: ${RACE_STRATEGIES.join(', ')}`,
  }),
  layers: numList({
    default: [1 << 20, 1 << 20] as never,
    integer: true,
    min: 1,
    max: 2 ** 30,
    unit: 'B',
    doc: 'sizes of the random layers of every push (fresh random bytes each push)',
  }),
  repository: str({
    default: 'stampede/race',
    pattern: /^[a-z0-9]+(?:[._/-][a-z0-9]+)*$/,
    expected: 'an OCI repository name',
    doc: 'repository the pusher pushes to (tags race-<run>-<round>)',
  }),
  retry: {
    baseS: num({
      default: 0.25,
      gt: 0,
      max: 60,
      unit: 's',
      doc: 'retry: first back-off (doubles each attempt)',
    }),
    capS: num({ default: 2, gt: 0, max: 600, unit: 's', doc: 'retry: back-off cap' }),
    jitter: num({
      default: 0.5,
      min: 0,
      max: 1,
      doc: 'retry: share of each back-off drawn uniformly (1 = full jitter)',
    }),
    maxAttempts: int({ default: 12, min: 1, max: 1000, doc: 'retry: attempts before the puller gives up' }),
  },
  fixedSleep: {
    sleepS: num({
      default: 5,
      min: 0,
      max: 3600,
      unit: 's',
      doc: 'fixed-sleep: the single pull waits this long first',
    }),
  },
  webhook: {
    pollS: num({
      default: 0.05,
      gt: 0,
      max: 10,
      unit: 's',
      doc: "wait-webhook: how often the puller asks for its region's event",
    }),
    maxPolls: int({
      default: 600,
      min: 1,
      max: 100_000,
      doc: 'wait-webhook: polls before the puller gives up (NO_EVENT)',
    }),
  },
  overwrite: {
    gapS: num({
      default: 2,
      min: 0,
      max: 600,
      unit: 's',
      doc: 'overwrite mode: re-push of the same tag this long after the first ack',
    }),
  },
  delete: {
    gapS: num({
      default: 3,
      min: 0,
      max: 600,
      unit: 's',
      doc: 'delete mode: the manifest is deleted at A this long after its push ack',
    }),
  },
  ackPollS: num({
    default: 0.025,
    gt: 0,
    max: 5,
    unit: 's',
    doc: "how often pullers ask the push region's endpoint whether the round's tag is there (the ack they start from)",
  }),
  endpoints: {
    push: str({
      default: '',
      pattern: URL_OR_EMPTY,
      expected: 'http(s)://host[:port] or empty',
      doc: "URL target: the push region's regional endpoint (pusher, pin-home, ack polling); lab: derived",
    }),
    pull: str({
      default: '',
      pattern: URL_OR_EMPTY,
      expected: 'http(s)://host[:port] or empty',
      doc: "URL target: the pull region's regional endpoint (the pullers); lab: derived",
    }),
    events: str({
      default: '',
      pattern: /^(https?:\/\/\S+)?$/,
      expected: 'an http(s) URL or empty',
      doc: "URL target, wait-webhook: where the pullers read ACR webhook events (a JSON array); lab: the run serves the lab's own",
    }),
  },
  pushRegion: str({
    default: '',
    pattern: /^([a-z0-9-]+)?$/,
    doc: 'lab only: region A, where the pusher pushes (default: the first region)',
  }),
  pullRegion: str({
    default: '',
    pattern: /^([a-z0-9-]+)?$/,
    doc: 'lab only: region B, where the pullers pull (default: the second region)',
  }),
  registry: str({ default: '', doc: 'lab only: which lab registry name (default: the first)' }),
  maxDurationS: num({ default: 900, gt: 0, max: 86_400, unit: 's', doc: 'hard cap on the k6 scenario' }),
  maxRetries: int({
    default: 3,
    min: 0,
    max: 20,
    doc: 'retries per request on 429/503 (throttling), with backoff',
  }),
};
export type RaceParams = Infer<typeof raceSchema>;

/** What the k6 entry receives as its one JSON value (__ENV.STAMPEDE_PARAMS). */
export interface RaceScriptParams extends RaceParams {
  baseUrl: string;
  hosts?: Record<string, string>;
}

export const roundsOf = (p: Pick<RaceParams, 'repeats' | 'offsets'>): number => p.repeats * p.offsets.length;

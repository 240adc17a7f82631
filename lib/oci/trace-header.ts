/**
 * The header a client marks a request with so the lab's fronts record it (lib/lab/front/
 * trace-log.ts): the push-pull race's pullers send it on their manifest GETs
 * (lib/k6/push-pull-race/puller.ts). One definition for the k6 side and the lab side.
 */
export const TRACE_HEADER = 'x-stampede-trace';

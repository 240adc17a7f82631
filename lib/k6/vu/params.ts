/**
 * A scenario's parameters as its k6 entry receives them: one JSON value (the run command
 * puts the validated parameters in __ENV.STAMPEDE_PARAMS). No defaults here: they live in
 * the scenario's schema alone, so a script started without the value refuses to run.
 */
export function scriptParams<T>(raw: string | undefined, variable = 'STAMPEDE_PARAMS'): T {
  if (!raw)
    throw new Error(
      `${variable} is not set: run this script through \`stampede run\` (it passes the validated parameters as JSON)`,
    );
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new Error(`${variable} is not JSON`);
  }
}

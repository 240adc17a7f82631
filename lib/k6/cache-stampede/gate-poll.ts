/**
 * How long the wave gate holds a waiting wave-2 VU's poll (gate.ts), in seconds. Long: each
 * poll is a request k6 and the gate serve on the same 2 cores while wave 1 is measured (at
 * 5 s, 500 waiting VUs sent 100 requests/s through the cold wave), and the twin charges them.
 */
export const GATE_LONG_POLL_S = 30;

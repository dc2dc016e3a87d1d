/**
 * Many requests in flight share one caller signal (an activity's). Node's EventTarget walks its
 * listener list on every add and remove, so a listener per request costs O(requests in flight)
 * each; here each signal carries one listener, held only while some request is subscribed, and
 * fans the abort out from a Set.
 */
interface FanOut {
  subscribers: Set<() => void>;
  fire: () => void;
}

const fanOuts = new WeakMap<AbortSignal, FanOut>();

/** Calls `onAbort` when `signal` aborts (at once if it has), until the returned function is called. */
export function subscribeAbort(signal: AbortSignal, onAbort: () => void): () => void {
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  let fan = fanOuts.get(signal);
  if (!fan) {
    const subscribers = new Set<() => void>();
    const fire = () => {
      fanOuts.delete(signal);
      for (const subscriber of subscribers) subscriber();
    };
    fan = { subscribers, fire };
    fanOuts.set(signal, fan);
    signal.addEventListener('abort', fire, { once: true });
  }
  const mine = fan;
  mine.subscribers.add(onAbort);
  return () => {
    mine.subscribers.delete(onAbort);
    if (mine.subscribers.size === 0 && fanOuts.get(signal) === mine) {
      fanOuts.delete(signal);
      signal.removeEventListener('abort', mine.fire);
    }
  };
}

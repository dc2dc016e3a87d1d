/** The engine benchmark's input: 64 posts whose texts are new every execution (cold cache), batches of at most 50. */
export const ITEMS = 64;
export const ENGINE_MAX_BATCH = 50;
export const BATCHES = Math.ceil(ITEMS / ENGINE_MAX_BATCH);

/** Texts unique to the execution, so neither the product's cache nor anyone else's can answer them. */
export const itemsFor = (iteration: number) =>
  Array.from({ length: ITEMS }, (_, i) => ({
    id: `post-${i}`,
    text: `Hot take: sourdough, run ${iteration}, post ${i}. Save this. #viral`,
  }));

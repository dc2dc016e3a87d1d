/**
 * ViralEngineOperator before the review: a synchronous POST per item, no batching, no cache (the
 * review's "40+ requests without batching", "always hits API even for repeated requests"). Bench-only.
 */
import { naiveJson } from './http';

interface ExtractAnswer {
  results: Array<{ id: string; viralityScore: number; patterns: Array<{ name: string; score: number }> }>;
}

export async function naiveExtractPatterns(
  engineUrl: string,
  items: ReadonlyArray<{ id: string; text: string }>,
): Promise<Array<{ id: string; viralityScore: number; topPattern?: string }>> {
  const out: Array<{ id: string; viralityScore: number; topPattern?: string }> = [];
  for (const item of items) {
    const answer = (await naiveJson(`${engineUrl}/extract`, {
      method: 'POST',
      json: { items: [item] },
    })) as ExtractAnswer;
    for (const r of answer.results) {
      const top = [...r.patterns].sort((a, b) => b.score - a.score)[0];
      out.push({ id: r.id, viralityScore: r.viralityScore, ...(top && { topPattern: top.name }) });
    }
  }
  return out;
}

/** Hostile YAML for the bounded-YAML tests: each is small, and huge once its aliases are expanded. */

/**
 * The "billion laughs": level 0 is nine strings, each next level nine aliases of the previous
 * one; nine levels expand to 9^9 (387 million) strings from about 400 bytes.
 */
export function aliasBomb(levels = 9, indent = ""): string {
  const names = "abcdefghijklmnopqrstuvwxyz".slice(0, levels).split("");
  const lines = [`${indent}${names[0]}: &${names[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  for (let i = 1; i < names.length; i++)
    lines.push(
      `${indent}${names[i]}: &${names[i]} [${Array(9)
        .fill(`*${names[i - 1]}`)
        .join(",")}]`,
    );
  return `${lines.join("\n")}\n`;
}

/** One large list aliased `copies` times: quadratic, and under the yaml library's own alias heuristic. */
export function wideAliases(items = 1_000, copies = 99): string {
  return `base: &base [${Array(items).fill("x").join(",")}]\ncopies: [${Array(copies).fill("*base").join(",")}]\n`;
}

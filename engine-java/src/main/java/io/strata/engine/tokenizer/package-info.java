/**
 * Tokenizers read from a checkpoint's tokenizer.json.
 *
 * <p>{@link io.strata.engine.tokenizer.Tokenizer#load(java.nio.file.Path)} gives a
 * {@link io.strata.engine.tokenizer.Tokenizer}: {@code encode(text, addSpecialTokens)},
 * {@code decode(ids, skipSpecialTokens)}, {@code newStreamDecoder()} for generation, and the
 * vocabulary ({@code bosId()}, {@code eosIds()}, {@code vocabSize()}, {@code token(id)}).
 * The pipeline follows the file: added tokens are cut out, the rest is normalized
 * ({@code Normalizer}), split into words ({@code PreTokenizer}, with {@code SplitScanner} for the
 * Qwen3 and o200k patterns), encoded by {@code BpeModel}, and wrapped by a {@code PostProcessor};
 * decoding runs the {@code Decoder} chain. Golden tests compare every step's result with the
 * reference implementation's output.
 */
package io.strata.engine.tokenizer;

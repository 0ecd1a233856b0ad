// Which generated tokens of a gpt-oss reply are its answer: harmony's final channel, not its analysis.
package io.strata.engine.chat;

import java.util.function.IntFunction;

/**
 * gpt-oss answers in harmony messages: {@code <|channel|>analysis<|message|>…<|end|><|start|>assistant<|channel|>final
 * <|message|>…<|return|>}. Fed the generated token ids one by one, {@link #show} says whether a token belongs to the
 * text of a final-channel message (what a chat shows and keeps as the assistant's turn); headers, the analysis and
 * commentary channels and the special tokens are not shown. Until the first {@code <|channel|>}, text is shown (a
 * model that writes no header is not hidden).
 */
public final class HarmonyChannels {
    private final int channel, message, end, start;
    private final IntFunction<String> text;
    private final StringBuilder name = new StringBuilder();
    private boolean inName, show = true;

    /**
     * @param channel the id of {@code <|channel|>}; message, end, start likewise
     * @param text    the text of an ordinary token (for the channel name)
     */
    public HarmonyChannels(int channel, int message, int end, int start, IntFunction<String> text) {
        this.channel = channel;
        this.message = message;
        this.end = end;
        this.start = start;
        this.text = text;
    }

    /** Whether token id is text of the final channel; advances the state. */
    public boolean show(int id) {
        if (id == channel) {
            inName = true;
            name.setLength(0);
            show = false;
            return false;
        }
        if (id == message) {
            // "<|start|>assistant<|message|>" without a channel is an answer too
            show = !inName || name.toString().strip().equals("final");
            inName = false;
            return false;
        }
        if (id == end || id == start) {
            inName = false;
            show = false;
            return false;
        }
        if (inName) {
            name.append(text.apply(id));
            return false;
        }
        return show;
    }
}

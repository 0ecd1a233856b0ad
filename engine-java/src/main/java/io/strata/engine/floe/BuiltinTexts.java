// Built-in calibration text and evaluation prompts in the five genres tiny-moe was trained on.
package io.strata.engine.floe;

import java.util.List;

/**
 * Short public-domain or proverbial texts in the style of models/tiny-moe's corpus (King James
 * scripture, English, German and Spanish sayings with "-- Author" lines, Jargon-File-style
 * entries). The calibration paragraphs and the evaluation prompts do not overlap, so thresholds
 * are not measured on the text they were fitted to.
 */
public final class BuiltinTexts {
    private BuiltinTexts() {}

    /** Calibration paragraphs, two per genre. */
    public static final List<String> CALIBRATION = List.of(
            "In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness "
                    + "was upon the face of the deep. And the Spirit of God moved upon the face of the waters. And God said, "
                    + "Let there be light: and there was light. And God saw the light, that it was good: and God divided the "
                    + "light from the darkness.",
            "The LORD is my shepherd; I shall not want. He maketh me to lie down in green pastures: he leadeth me beside the "
                    + "still waters. He restoreth my soul: he leadeth me in the paths of righteousness for his name's sake.",
            "Early to bed and early to rise, makes a man healthy, wealthy and wise.\n\t\t-- Benjamin Franklin\n"
                    + "The reports of my death are greatly exaggerated.\n\t\t-- Mark Twain",
            "I can resist everything except temptation.\n\t\t-- Oscar Wilde\nA penny saved is a penny earned. "
                    + "Never put off till tomorrow what you can do today.",
            "Wer nicht wagt, der nicht gewinnt. Morgenstund hat Gold im Mund. Der Apfel fällt nicht weit vom Stamm.\n"
                    + "\t\t-- Sprichwort\nEs irrt der Mensch, solang er strebt.\n\t\t-- Goethe",
            "Was du heute kannst besorgen, das verschiebe nicht auf morgen. Übung macht den Meister.\n"
                    + "Edel sei der Mensch, hilfreich und gut.\n\t\t-- Johann Wolfgang von Goethe",
            "Más vale pájaro en mano que ciento volando. No hay mal que por bien no venga. Dime con quién andas y te diré "
                    + "quién eres.\n\t\t-- Refrán",
            "El que lee mucho y anda mucho, ve mucho y sabe mucho.\n\t\t-- Miguel de Cervantes\nLa pluma es la lengua del "
                    + "alma.\n\t\t-- Cervantes",
            "kludge n. A clever programming trick intended to solve a particular nasty case in an expedient, if not clear, "
                    + "manner. Often used to repair bugs. Also spelled kluge. See also hack.",
            "cruft n. An unpleasant substance; excess; superfluous junk. Especially used of redundant or superseded code. "
                    + "grok vt. To understand, usually in a global sense. Connotes intimate and exhaustive knowledge.");

    /** Evaluation prompts, two per genre; the first of each pair is the prompt of golden-greedy.json. */
    public static final List<String> PROMPTS = List.of(
            "And the LORD said unto Moses,",
            "And it came to pass in those days, that",
            "A fool and his money",
            "Do not count your chickens before",
            "Wer anderen eine Grube gräbt,",
            "Ein Freund in der Not",
            "La vida es",
            "Quien mucho abarca,",
            "hacker n. A person who",
            "bug n. An unwanted and unintended property of a program");

    /** The genre of each of {@link #PROMPTS}. */
    public static final List<String> PROMPT_GENRES = List.of("scripture", "scripture", "quotes-en", "quotes-en", "quotes-de",
            "quotes-de", "quotes-es", "quotes-es", "hacker-lore", "hacker-lore");
}

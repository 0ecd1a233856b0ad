// Held-out text for the compression report's perplexity: public-domain passages in tiny-moe's five genres.
package io.strata.bench.floe;

import java.util.List;

/**
 * Passages that appear neither in the calibration text nor among the evaluation prompts
 * ({@link io.strata.engine.floe.BuiltinTexts}): King James scripture, sayings of Franklin, Shakespeare, Goethe and
 * Cervantes (all public domain), and a dictionary-style entry written for this file. The perplexity of a codec is
 * measured on them teacher forced, so it scores the codec on text no threshold was fitted to.
 */
public final class HeldOutTexts {
    private HeldOutTexts() {}

    public static final List<String> PASSAGES = List.of(
            "To every thing there is a season, and a time to every purpose under the heaven: a time to be born, and a time to "
                    + "die; a time to plant, and a time to pluck up that which is planted.",
            "In the beginning was the Word, and the Word was with God, and the Word was God. The same was in the beginning with "
                    + "God. All things were made by him; and without him was not any thing made that was made.",
            "Lost time is never found again.\n\t\t-- Benjamin Franklin\nAll the world's a stage, and all the men and women "
                    + "merely players.\n\t\t-- William Shakespeare",
            "Neither a borrower nor a lender be.\n\t\t-- William Shakespeare\nWell done is better than well said.\n\t\t-- "
                    + "Benjamin Franklin",
            "Was man nicht versteht, besitzt man nicht.\n\t\t-- Johann Wolfgang von Goethe\nAller Anfang ist schwer. "
                    + "Ende gut, alles gut.\n\t\t-- Sprichwort",
            "En un lugar de la Mancha, de cuyo nombre no quiero acordarme, no ha mucho tiempo que vivía un hidalgo de los de "
                    + "lanza en astillero, adarga antigua, rocín flaco y galgo corredor.\n\t\t-- Miguel de Cervantes",
            "heisenbug n. A bug that disappears or changes its behaviour when one attempts to probe or isolate it, as when "
                    + "adding a print statement makes the failure go away.");
}

// The default prompt set of `strata predict eval`: the five genres tiny-moe was trained on, plus other text.
package io.strata.bench.predict;

import io.strata.engine.predict.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Passages in rounds of one per genre (scripture from the King James Version, English quotations, German and
 * Spanish sayings, hacker lore in the style of the Jargon File), then a few passages of other kinds (code, maths,
 * prose, French). Every 4th passage is held out by default, which rotates through the genres.
 */
public final class BuiltinPrompts {
    private BuiltinPrompts() {}

    private static final String[][] ROUNDS = {
        {
            "In the beginning God created the heaven and the earth. And the earth was without form, and void; and darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters. And God said, Let there be light: and there was light.",
            "A fool and his money are soon parted. Early to bed and early to rise, makes a man healthy, wealthy and wise.\n\t\t-- Benjamin Franklin",
            "Wer anderen eine Grube gräbt, fällt selbst hinein. Morgenstund hat Gold im Mund, aber Blei im Hintern.\n\t\t-- Sprichwort",
            "La vida es sueño, y los sueños, sueños son. ¿Qué es la vida? Un frenesí. ¿Qué es la vida? Una ilusión, una sombra, una ficción.\n\t\t-- Pedro Calderón de la Barca",
            "hacker n. [originally, someone who makes furniture with an axe] 1. A person who enjoys exploring the details of programmable systems and how to stretch their capabilities, as opposed to most users, who prefer to learn only the minimum necessary.",
        },
        {
            "The LORD is my shepherd; I shall not want. He maketh me to lie down in green pastures: he leadeth me beside the still waters. He restoreth my soul: he leadeth me in the paths of righteousness for his name's sake.",
            "Always do right. This will gratify some people and astonish the rest. The man who does not read good books has no advantage over the man who cannot read them.\n\t\t-- Mark Twain",
            "Es irrt der Mensch, solang er strebt. Grau, teurer Freund, ist alle Theorie, und grün des Lebens goldner Baum.\n\t\t-- Johann Wolfgang von Goethe, Faust",
            "Caminante, no hay camino, se hace camino al andar. Al andar se hace el camino, y al volver la vista atrás se ve la senda que nunca se ha de volver a pisar.\n\t\t-- Antonio Machado",
            "kluge n. 1. A Rube Goldberg device, whether in hardware or software. 2. A clever programming trick intended to solve a particular nasty case in an expedient, if not clear, manner. Often used to repair bugs.",
        },
        {
            "To every thing there is a season, and a time to every purpose under the heaven: A time to be born, and a time to die; a time to plant, and a time to pluck up that which is planted; a time to kill, and a time to heal.",
            "I can resist everything except temptation. We are all in the gutter, but some of us are looking at the stars. Experience is simply the name we give our mistakes.\n\t\t-- Oscar Wilde",
            "Der Worte sind genug gewechselt, lasst mich auch endlich Taten sehn! Was du nicht willst, das man dir tu, das füg auch keinem andern zu.",
            "Dime con quién andas y te diré quién eres. Más vale pájaro en mano que ciento volando. El que madruga, Dios le ayuda.\n\t\t-- Refranes",
            "foo /foo/ 1. interj. Term of disgust. 2. [very common] Used very generally as a sample name for absolutely anything, esp. programs and files. 3. First on the standard list of metasyntactic variables used in syntax examples; see also bar, baz, qux.",
        },
        {
            "In the beginning was the Word, and the Word was with God, and the Word was God. The same was in the beginning with God. All things were made by him; and without him was not any thing made that was made.",
            "The only thing we have to fear is fear itself. Ask not what your country can do for you; ask what you can do for your country. Give me liberty, or give me death!",
            "Die Kunst ist lang, und kurz ist unser Leben. Edel sei der Mensch, hilfreich und gut! Denn das allein unterscheidet ihn von allen Wesen, die wir kennen.\n\t\t-- Goethe",
            "En un lugar de la Mancha, de cuyo nombre no quiero acordarme, no ha mucho tiempo que vivía un hidalgo de los de lanza en astillero, adarga antigua, rocín flaco y galgo corredor.\n\t\t-- Miguel de Cervantes",
            "grok /grok/ vt. [common; from the novel Stranger in a Strange Land] To understand. Connotes intimate and exhaustive knowledge. When you claim to grok some knowledge or technique, you are asserting that you have not merely learned it in a detached instrumental way but that it has become part of you.",
        },
        {
            "And God spake all these words, saying, I am the LORD thy God, which have brought thee out of the land of Egypt, out of the house of bondage. Thou shalt have no other gods before me.",
            "Whenever you find yourself on the side of the majority, it is time to pause and reflect. Never put off till tomorrow what you can do the day after tomorrow just as well.",
            "Ordnung ist das halbe Leben, und Unordnung die andere Hälfte. Wer nicht wagt, der nicht gewinnt. Ende gut, alles gut.",
            "No hay mal que por bien no venga. Quien mucho abarca, poco aprieta. A buen entendedor, pocas palabras bastan. Poderoso caballero es don Dinero.\n\t\t-- Francisco de Quevedo",
            "cruft /kruhft/ 1. n. An unpleasant substance. The dust that gathers under your bed is cruft. 2. n. Excess; superfluous junk; used esp. of redundant or superseded code. 3. vt. [very common] To write assembler code for something normally (and better) done by a compiler.",
        },
        {
            "Blessed are the poor in spirit: for theirs is the kingdom of heaven. Blessed are they that mourn: for they shall be comforted. Blessed are the meek: for they shall inherit the earth.",
            "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. Nothing is so painful to the human mind as a great and sudden change.",
            "Das Leben ist wie eine Hühnerleiter: kurz und beschissen. Wer zuletzt lacht, lacht am besten. Aller Anfang ist schwer.",
            "El amor es eterno mientras dura. Verde que te quiero verde. Verde viento. Verdes ramas. El barco sobre la mar y el caballo en la montaña.\n\t\t-- Federico García Lorca",
            "bogus adj. 1. Non-functional. Your patches are bogus. 2. Useless. OPCON is a bogus program. 3. False. Your arguments are bogus. 4. Incorrect. That algorithm is bogus. 5. Unbelievable. You claim to have solved the halting problem for Turing machines? That's totally bogus.",
        },
        {
            "Charity suffereth long, and is kind; charity envieth not; charity vaunteth not itself, is not puffed up, doth not behave itself unseemly, seeketh not her own, is not easily provoked, thinketh no evil.",
            "Be yourself; everyone else is already taken. Two things are infinite: the universe and human stupidity; and I'm not sure about the universe.\n\t\t-- Albert Einstein",
            "Die Gedanken sind frei, wer kann sie erraten? Sie fliehen vorbei wie nächtliche Schatten. Kein Mensch kann sie wissen, kein Jäger erschießen.",
            "Ojos que no ven, corazón que no siente. Camarón que se duerme se lo lleva la corriente. En boca cerrada no entran moscas.",
            "daemon /day'mn/ or /dee'mn/ n. [from the mythological meaning, later rationalized as the acronym Disk And Execution MONitor] A program that is not invoked explicitly, but lies dormant waiting for some condition to occur.",
        },
        {
            "Now the serpent was more subtil than any beast of the field which the LORD God had made. And he said unto the woman, Yea, hath God said, Ye shall not eat of every tree of the garden?",
            "The trouble with the rat race is that even if you win, you're still a rat. If at first you don't succeed, try, try again. Then quit. There's no use being a damn fool about it.\n\t\t-- W. C. Fields",
            "Man sieht nur mit dem Herzen gut. Das Wesentliche ist für die Augen unsichtbar. Geld allein macht nicht glücklich, aber es ist besser, in einem Taxi zu weinen als in der Straßenbahn.",
            "Puedo escribir los versos más tristes esta noche. Escribir, por ejemplo: La noche está estrellada, y tiritan, azules, los astros, a lo lejos.\n\t\t-- Pablo Neruda",
            "RTFM /R-T-F-M/ imp. [Unix] Abbrev. for Read The Fucking Manual. 1. Used by gurus to brush off questions they consider trivial or annoying. 2. Used when reporting a problem to indicate that you aren't just asking out of randomness.",
        },
    };

    private static final String[] OTHER = {
        "public static int gcd(int a, int b) {\n    while (b != 0) {\n        int t = a % b;\n        a = b;\n        b = t;\n    }\n    return a;\n}",
        "Let f(x) = x^2 - 4x + 3. Then f(x) = (x - 1)(x - 3), so the roots are x = 1 and x = 3, and the minimum of f is f(2) = -1.",
        "The committee met on Tuesday to review the budget for the coming year. After a long debate, the members agreed to increase spending on schools and roads.",
        "Il était une fois une petite fille qui vivait dans un village au bord de la forêt. Sa grand-mère lui avait fait un petit chaperon rouge.",
        "import numpy as np\nx = np.linspace(0, 1, 100)\ny = np.sin(2 * np.pi * x)\nprint(y.mean(), y.std())",
        "Photosynthesis converts light energy into chemical energy: carbon dioxide and water are turned into glucose and oxygen inside the chloroplasts of plant cells.",
    };

    /** All passages, genre rounds first. */
    public static List<String> all() {
        List<String> out = new ArrayList<>();
        for (String[] round : ROUNDS) out.addAll(List.of(round));
        out.addAll(List.of(OTHER));
        return out;
    }

    /** Only the five genres of tiny-moe's training text. */
    public static List<String> genres() {
        List<String> out = new ArrayList<>();
        for (String[] round : ROUNDS) out.addAll(List.of(round));
        return out;
    }

    /** Prompts of a file: passages separated by blank lines; lines starting with '#' are comments. */
    public static List<String> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading prompts " + file, e);
        }
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : lines) {
            if (line.startsWith("#")) continue;
            if (line.isBlank()) {
                if (!cur.isEmpty()) out.add(cur.toString());
                cur.setLength(0);
            } else {
                if (!cur.isEmpty()) cur.append('\n');
                cur.append(line);
            }
        }
        if (!cur.isEmpty()) out.add(cur.toString());
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": expected prompts separated by blank lines, found none");
        return out;
    }
}

// Python's str and dict methods for Jinjava expressions. Chat templates are written for Python's
// Jinja2, where message.content.startswith('x') or tool.items() call Python methods; Jinjava would
// look for Java methods of the same name instead. This resolver answers those calls first.
package io.strata.engine.chat;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

final class PythonMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(method instanceof String name)) return null;
        Object[] args = params == null ? new Object[0] : params;
        if (base instanceof String s) {
            Object r = stringMethod(s, name, args);
            if (r != NOT_HANDLED) {
                context.setPropertyResolved(true);
                return r;
            }
        } else if (base instanceof Map<?, ?> m && name.equals("get") && (args.length == 1 || args.length == 2)) {
            // dict.get(key[, default]): None (or the default) for a missing key, never an error.
            context.setPropertyResolved(true);
            return m.containsKey(args[0]) ? m.get(args[0]) : args.length == 2 ? args[1] : null;
        } else if (base instanceof Map<?, ?> m && args.length == 0) {
            Object r = switch (name) {
                case "items" -> items(m);
                case "keys" -> new ArrayList<>(m.keySet());
                case "values" -> new ArrayList<>(m.values());
                default -> NOT_HANDLED;
            };
            if (r != NOT_HANDLED) {
                context.setPropertyResolved(true);
                return r;
            }
        }
        return null;
    }

    private static final Object NOT_HANDLED = new Object();

    /** dict.items() (and the items filter): a list of [key, value] pairs in the map's order. */
    static List<List<Object>> items(Map<?, ?> m) {
        List<List<Object>> items = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) items.add(Arrays.asList(e.getKey(), e.getValue()));
        return items;
    }

    /**
     * strftime_now(format) of transformers' template environment: the local time formatted with
     * Python's strftime directives (%Y %m %d %H %M %S %I %p %y %j %b %B %a %A %%), English names.
     */
    public static String strftimeNow(String format) {
        return strftime(java.time.LocalDateTime.now(), format);
    }

    static String strftime(java.time.LocalDateTime t, String format) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                b.append(c);
                continue;
            }
            char d = format.charAt(++i);
            switch (d) {
                case 'Y' -> b.append(String.format("%04d", t.getYear()));
                case 'y' -> b.append(String.format("%02d", t.getYear() % 100));
                case 'm' -> b.append(String.format("%02d", t.getMonthValue()));
                case 'd' -> b.append(String.format("%02d", t.getDayOfMonth()));
                case 'H' -> b.append(String.format("%02d", t.getHour()));
                case 'I' -> b.append(String.format("%02d", t.getHour() % 12 == 0 ? 12 : t.getHour() % 12));
                case 'M' -> b.append(String.format("%02d", t.getMinute()));
                case 'S' -> b.append(String.format("%02d", t.getSecond()));
                case 'p' -> b.append(t.getHour() < 12 ? "AM" : "PM");
                case 'j' -> b.append(String.format("%03d", t.getDayOfYear()));
                case 'b' -> b.append(t.getMonth().getDisplayName(java.time.format.TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> b.append(t.getMonth().getDisplayName(java.time.format.TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> b.append(t.getDayOfWeek().getDisplayName(java.time.format.TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> b.append(t.getDayOfWeek().getDisplayName(java.time.format.TextStyle.FULL, Locale.ENGLISH));
                case '%' -> b.append('%');
                default -> b.append('%').append(d);
            }
        }
        return b.toString();
    }

    private static Object stringMethod(String s, String name, Object[] a) {
        return switch (name) {
            case "startswith" -> a.length == 1 ? anyMatch(a[0], p -> s.startsWith(p)) : NOT_HANDLED;
            case "endswith" -> a.length == 1 ? anyMatch(a[0], p -> s.endsWith(p)) : NOT_HANDLED;
            case "strip" -> strip(s, chars(a), true, true);
            case "lstrip" -> strip(s, chars(a), true, false);
            case "rstrip" -> strip(s, chars(a), false, true);
            case "split" -> split(s, a.length > 0 && a[0] != null ? a[0].toString() : null, a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace" -> a.length == 2 ? s.replace(a[0].toString(), a[1].toString()) : NOT_HANDLED;
            case "find" -> a.length == 1 ? s.indexOf(a[0].toString()) : NOT_HANDLED;
            default -> NOT_HANDLED;
        };
    }

    private interface StringTest {
        boolean test(String prefix);
    }

    /** str.startswith accepts one string or a tuple (list) of them. */
    private static boolean anyMatch(Object arg, StringTest test) {
        if (arg instanceof Collection<?> c) {
            for (Object o : c) if (test.test(String.valueOf(o))) return true;
            return false;
        }
        return test.test(String.valueOf(arg));
    }

    private static String chars(Object[] a) {
        return a.length > 0 && a[0] != null ? a[0].toString() : null;
    }

    /** Python's strip family: removes any of {@code chars} (whitespace when null) from the chosen ends. */
    static String strip(String s, String chars, boolean left, boolean right) {
        int from = 0, to = s.length();
        if (left) while (from < to && strippable(s.charAt(from), chars)) from++;
        if (right) while (to > from && strippable(s.charAt(to - 1), chars)) to--;
        return s.substring(from, to);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) || Character.isSpaceChar(c) : chars.indexOf(c) >= 0;
    }

    /** Python's str.split: on a literal separator (keeping empty parts), or on whitespace runs when sep is None. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (i < n) {
                while (i < n && Character.isWhitespace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(s.substring(i).stripTrailing());
                    return out;
                }
                int j = i;
                while (j < n && !Character.isWhitespace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new IllegalArgumentException("split: empty separator");
        int start = 0;
        int at;
        while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(sep, start)) >= 0) {
            out.add(s.substring(start, at));
            start = at + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean prevLetter = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevLetter = Character.isLetter(c);
        }
        return b.toString();
    }

    // The remaining ELResolver methods: this resolver only answers method calls.

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}

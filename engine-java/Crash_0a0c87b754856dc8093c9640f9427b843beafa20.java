import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public class Crash_0a0c87b754856dc8093c9640f9427b843beafa20 {
    static final String base64Bytes = String.join("", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAF7eyBib3NfdG9rZW4gfX17JSBmb3IgbSBpbiBtZXNzYWdlcyAlfXslIGlmIG1bJ3JvbGUnXQA9PSAndXNkcicgJX1bSU5TVF0gez8gbVsnY29udGVudCddIH19IFsvSU5TVF17JSBlbGlmIG1bJ3JvbGUnXf8gPT0nIGFzc2lzdEthbnQnc2lzdGFudCcgJQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB9e3sgbVsnY29udGVudCddZGZvciAlfQ==");

    public static void main(String[] args) throws Throwable {
        Crash_0a0c87b754856dc8093c9640f9427b843beafa20.class.getClassLoader().setDefaultAssertionStatus(true);
        try {
            Method fuzzerInitialize = io.strata.engine.fuzz.ChatTemplateTarget.class.getMethod("fuzzerInitialize");
            fuzzerInitialize.invoke(null);
        } catch (NoSuchMethodException ignored) {
            try {
                Method fuzzerInitialize = io.strata.engine.fuzz.ChatTemplateTarget.class.getMethod("fuzzerInitialize", String[].class);
                fuzzerInitialize.invoke(null, (Object) args);
            } catch (NoSuchMethodException ignored1) {
            } catch (IllegalAccessException | InvocationTargetException e) {
                e.printStackTrace();
                System.exit(1);
            }
        } catch (IllegalAccessException | InvocationTargetException e) {
            e.printStackTrace();
            System.exit(1);
        }
        byte[] input = java.util.Base64.getDecoder().decode(base64Bytes);
        io.strata.engine.fuzz.ChatTemplateTarget.fuzzerTestOneInput(input);
    }
}
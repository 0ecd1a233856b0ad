import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public class Crash_435d76332dcc57dd8f87a92c2de955ce5ef41fb3 {
    static final String base64Bytes = String.join("", "eyJoaWRkZW5fc2l6ZSI6IDY0LCAibnVtX2hpZGRlbl9sYXllcnMiOiA2LCAibnVtX2F0dGVudGlvbl9oZWFkcyI6IDQsICJudW1fa2V5X3ZhbHVlX2hlYWRzIjogMCwgInZvY2FiX3NpemUiOiA2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjYxMDAsICJudW1fZXhwZXJ0c19wZXJfdG9rIjogMiwgInJtc19ub3JtX2VwcyI6IDFlLTA2LCAicm9wZV90aGV0YSI6IDEwMDAwMDAuMCwgIm1vZGVsX3R5cGUiOiAicXdlbjNfbW9lIiwgIm51bV9leHBlcnRzIjogNCwgIm1vZV9pbnRlcm1lZGlhdGVfc2l6ZSI6IDE2LCAiaGVhZF9kaW0iOiAxNiwgImxwX29ubHlfbGB5ZXJzIjogWzBdfQ==");

    public static void main(String[] args) throws Throwable {
        Crash_435d76332dcc57dd8f87a92c2de955ce5ef41fb3.class.getClassLoader().setDefaultAssertionStatus(true);
        try {
            Method fuzzerInitialize = io.strata.engine.fuzz.ModelConfigTarget.class.getMethod("fuzzerInitialize");
            fuzzerInitialize.invoke(null);
        } catch (NoSuchMethodException ignored) {
            try {
                Method fuzzerInitialize = io.strata.engine.fuzz.ModelConfigTarget.class.getMethod("fuzzerInitialize", String[].class);
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
        io.strata.engine.fuzz.ModelConfigTarget.fuzzerTestOneInput(input);
    }
}
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public class Crash_dea05b4c427feb65555adac5c8795609edcfba70 {
    static final String base64Bytes = String.join("", "eyJmb3JtYXQiOiAic3RyYXRhLXN0b3JlIiwgInZlcnNpb24iOiAxLCAibW9kZWwiOiB7Im1vZGVsX3R5cGUiOiAibWl4dHJhbCJ9LCAiY29kZWMiOiAiZGVuc2UiLCAiZHR5cGUiOiAiRjMyIiwgIm51bV9sYXllcnMiOiAxLCAibnVtX2V4cGVydHMiOiAyLCAiYWxpZ25tZW50IjogNDA5NiwgInNoYXBlcyI6IHsiZ2F0ZSI6IFs0LCA4XX0sICJleHBlcnRzIjogW3sibGF5ZXIiOiAwLCAiZXhwZXJ0IjogMCwgImZpbGUiOiAiZXhwZXJ0cy0wMDAuYmluIiwgIm9mZnNldCI6IDAsICJsZW5ndGgiOiA0MDk2LCAiY3JjMzJjIjogMSwgIm1hdHJpY2VzIjogW3sibmFtZSI6ICJnYXRlIiwgImR0eXBlIjogIkYzMiIsICJzaGFwZSI6IFs0LCA4XSwgIm9mZnNldCI6IDAsICJsZW5ndGgiOiAxMjgsICJjcmMzMmMiOiAyOTI1MjE4OTM4fSwgeyJuYW1lIjogImJsb2IiLCAiZHR5cGUiOiAiVTgiLCAic2hhcGUiOiBbNjRdLCAib2Zmc2V0IjogMTI4LCAibGVuZ3RoIjogNjQsICJjcmMzMmMiOiA5MjA3OTI0NH1dfSwgeyJsYXllciI6IDAsICJleHBlcnQiOiAxLCAiYmlsZSI6ICJleHBlcnRzLTAwMC5iaW4iLCAib2Zmc2V0IjogNDA5NiwgImxlbmd0aCI6IDQwOTYsICJjcmMzMmMiOiAzNzg3NjUxMDQ4LCAibWF0cmljZXMiOiBbeyJuYW1lIjogImdhdGUiLCAiZHR5cGUiOiAiRjMyIiwgInNoYXBlIjogWzQsIDhdLCAib2Zmc2V0IjogMCwgImxlbmd0aCI6IDEyOCwgImNyYzMyYyI6IDI5MjUyMTg5Mzh9LCB7Im5hbWUiOiAiYmxvYiIsICJkdHlwZSI6ICJVOCIsICJzaGFwZSI6IFs2NF0sICJvZmZzZXQiOiAxMjgsICJsZW5ndGgiOiA2NCwgImNyYzMyYyI6IDkyMDc5MjQ0fV19XSwgImRlbnNlIjogW3sibmFtZSI6ICJtb2RlbC5ub3JtLndlaWdodCIsICJkdHlwZSI6ICJGMzIiLCAic2hhcGUiOiBbMTAyNF0sICJmaWxlIjogImRlbnNlLmJpbiIsICJvZmZzZXQiOiAwLCAibGVuZ3RoIjogNDA5NiwgImNyYzMyYyI6IDQyNTIxMDI1ODl9XX0=");

    public static void main(String[] args) throws Throwable {
        Crash_dea05b4c427feb65555adac5c8795609edcfba70.class.getClassLoader().setDefaultAssertionStatus(true);
        try {
            Method fuzzerInitialize = io.strata.engine.fuzz.StoreManifestTarget.class.getMethod("fuzzerInitialize");
            fuzzerInitialize.invoke(null);
        } catch (NoSuchMethodException ignored) {
            try {
                Method fuzzerInitialize = io.strata.engine.fuzz.StoreManifestTarget.class.getMethod("fuzzerInitialize", String[].class);
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
        io.strata.engine.fuzz.StoreManifestTarget.fuzzerTestOneInput(input);
    }
}
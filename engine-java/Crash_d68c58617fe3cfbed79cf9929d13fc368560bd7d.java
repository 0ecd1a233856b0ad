import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public class Crash_d68c58617fe3cfbed79cf9929d13fc368560bd7d {
    static final String base64Bytes = String.join("", "eyJjb2RlYyI6ImludDQiLCJleHBlcnRzIjpbW3siY29kZWMiOiJpbnQ0IiwiaGlkZGVuIjo2NCwiaW50ZXJtZWRpYXRlIjo2NCwiZ3JvdXBTaXplIjo2NCwidGhyZXNob2xkIjpudWxsLCJwYXJ0cyI6W3sibmFtZSI6ImdhdGUiLCJmb3JtYXQiOiJpbnQ0LWc2NCIsIm9mZnNldCI6MCwiYnl0ZXMiOjIzMDQsInJvd3MiOjY0LCJjb2xzIjo2NH0seyJuYW1lIjoidXAiLCJmb3JtYXQiOiJpbnQ0LWc2NCIsIm9mZnNldCI6NDA5NiwiYnl0ZXMiOjIzMDQsInJvd3MiOjY0LCJjb2xzIjo2NH0seyJuYW1lIjoiZG93biIsImZvcm1hdCI6ImludDQtZzY0Iiwib2Zmc2V0Ijo4MTkyLCJieXRlcyI6MjMwNCwicm93cyI6NjQsImNvbHMiOjY0fV0sInRvdGFsQnl0ZXMiOjEyMjg4fSx7ImNvZGVjIjoiaW50NCIsImhpZGRlbiI6NjQsImludGVybWVkaWF0ZSI6MTI4LCJncm91cFNpemUiOjY0LCJ0aHJlc2hvbGQiOm51bGwsInBhcnRzIjpbeyJuYW1lIjoiZ2F0ZSIsImZvcm1hdCI6ImludDQtZzY0Iiwib2Zmc2V0IjowLCJieXRlcyI6NDYwOCwicm93cyI6MTI4LCJjb2xzIjo2NH0seyJuYW1lIjoidXAiLCJmb3JtYXQiOiJpbnQ0LWc2NCIsIm9mZnNldCI6ODE5MiwiYnl0ZXMiOjQ2MDgsInJvd3MiOjEyOCwiY29scyI6NjR9LHsibmFtZSI6ImRvd24iLCJmb3JtYXQiOiJpbnQ0LWc2NCIsIm9mZnNldCI6MTYzODQsImJ5dGVzIjo0NjA4LCJyb3dzIjo2NCwiY29scyI6MTI4fV0sInRvdGFsQnl0ZXMiOjI0NTc2fV1dfQ==");

    public static void main(String[] args) throws Throwable {
        Crash_d68c58617fe3cfbed79cf9929d13fc368560bd7d.class.getClassLoader().setDefaultAssertionStatus(true);
        try {
            Method fuzzerInitialize = io.strata.engine.fuzz.CodecFileTarget.class.getMethod("fuzzerInitialize");
            fuzzerInitialize.invoke(null);
        } catch (NoSuchMethodException ignored) {
            try {
                Method fuzzerInitialize = io.strata.engine.fuzz.CodecFileTarget.class.getMethod("fuzzerInitialize", String[].class);
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
        io.strata.engine.fuzz.CodecFileTarget.fuzzerTestOneInput(input);
    }
}
package dev.quark.cluster.transport;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ForwardingTransport} forwards every method of {@link Transport}: a method the interface gains, default or
 * not, must be forwarded too, or decorators would silently answer with the interface's default.
 */
class ForwardingTransportTests {

    @Test
    void declaresEveryMethodOfTheTransportInterface() {
        List<String> notForwarded = Arrays.stream(Transport.class.getMethods())
            .filter((method) -> !Modifier.isStatic(method.getModifiers()))
            .filter((method) -> !declaredByForwardingTransport(method))
            .map(Method::toGenericString)
            .toList();

        assertThat(notForwarded).as("methods of Transport that ForwardingTransport does not forward").isEmpty();
    }

    private static boolean declaredByForwardingTransport(Method method) {
        try {
            ForwardingTransport.class.getDeclaredMethod(method.getName(), method.getParameterTypes());
            return true;
        }
        catch (NoSuchMethodException ex) {
            return false;
        }
    }
}

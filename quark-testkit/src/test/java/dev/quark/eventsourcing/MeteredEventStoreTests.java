package dev.quark.eventsourcing;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link MeteredEventStore} forwards every method of {@link EventStore} to the store it wraps: a default method it did
 * not override would run the interface's default (for the expected-version snapshot and truncation, a version read
 * and a separate write, not atomic) instead of the wrapped store's own.
 */
class MeteredEventStoreTests {

    static Stream<Method> eventStoreMethods() {
        return Arrays.stream(EventStore.class.getMethods())
            .filter((method) -> !Modifier.isStatic(method.getModifiers()));
    }

    @Test
    void everyDefaultMethodOfTheEventStoreIsOverridden() throws NoSuchMethodException {
        List<String> defaults = new ArrayList<>();
        for (Method method : EventStore.class.getMethods()) {
            if (method.isDefault()) {
                defaults.add(method.getName());
                assertThat(MeteredEventStore.class.getMethod(method.getName(), method.getParameterTypes())
                    .getDeclaringClass()).as("declaring class of %s", method).isEqualTo(MeteredEventStore.class);
            }
        }
        assertThat(defaults).as("the default methods checked").contains("truncateStream", "saveSnapshot", "feed");
    }

    @ParameterizedTest
    @MethodSource("eventStoreMethods")
    void eachCallReachesTheWrappedStoresOwnMethod(Method method) throws Exception {
        List<Method> called = new ArrayList<>();
        EventStore wrapped = (EventStore) Proxy.newProxyInstance(EventStore.class.getClassLoader(),
                new Class<?>[] { EventStore.class }, (proxy, invoked, arguments) -> {
                    if (invoked.getDeclaringClass() == Object.class) {
                        return (invoked.getName().equals("toString")) ? "Recording" : null;
                    }
                    called.add(invoked);
                    return answerFor(invoked.getReturnType());
                });
        EventStore metered = MeteredEventStore.of(wrapped, (outcome, events) -> {
        });
        assertThat(metered).isInstanceOf(MeteredEventStore.class);

        method.invoke(metered, argumentsFor(method));

        assertThat(called).containsExactly(method);
    }

    private static Object[] argumentsFor(Method method) {
        return Arrays.stream(method.getParameterTypes()).map(MeteredEventStoreTests::argumentFor).toArray();
    }

    private static Object argumentFor(Class<?> type) {
        if (type == String.class) {
            return "Tally/t-1";
        }
        if (type == long.class) {
            return 3L;
        }
        if (type == int.class) {
            return 10;
        }
        if (type == List.class) {
            return List.of();
        }
        if (type == Snapshot.class) {
            return new Snapshot(3, "{}");
        }
        return null;
    }

    private static Object answerFor(Class<?> type) {
        if (type == AppendResult.class) {
            return new AppendResult(3, false);
        }
        if (type == long.class) {
            return 0L;
        }
        if (type == List.class) {
            return List.of();
        }
        if (type == Optional.class) {
            return Optional.empty();
        }
        return null;
    }
}

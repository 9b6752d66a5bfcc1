package dev.quark.jobs.runtime;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobTypeNames;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.UnknownJobTypeException;

/**
 * The handlers of an application by job type, each checked and resolved once: a valid, unique type, a payload
 * type, a positive timeout and a concurrency limit that is not negative.
 */
public final class JobHandlerRegistry {

    private final Map<String, RegisteredJobHandler> byType = new LinkedHashMap<>();

    private final Map<Class<?>, String> byClass = new LinkedHashMap<>();

    /**
     * Registers handlers.
     * @param handlers the handlers
     * @param codec resolves their payload types
     * @param defaultRetryPolicy the policy of handlers that do not give one
     * @param defaultTimeout the timeout of handlers that do not give one
     * @throws IllegalArgumentException naming the handler when one is invalid
     * @throws IllegalStateException naming both handlers when two share a type
     */
    @SuppressWarnings("unchecked")
    public JobHandlerRegistry(Collection<? extends JobHandler<?>> handlers, JobPayloadCodec codec,
            RetryPolicy defaultRetryPolicy, Duration defaultTimeout) {
        Objects.requireNonNull(codec, "codec must not be null");
        Objects.requireNonNull(defaultRetryPolicy, "defaultRetryPolicy must not be null");
        requireTimeout(defaultTimeout, "the default");
        for (JobHandler<?> handler : handlers) {
            String type = JobTypeNames.requireValid(handler.type());
            RegisteredJobHandler existing = this.byType.get(type);
            if (existing != null) {
                throw new IllegalStateException("The job type '" + type + "' has two handlers: "
                        + describe(existing.handler()) + " and " + describe(handler)
                        + "; give one of them another type with @JobType or by overriding type()");
            }
            RetryPolicy policy = Objects.requireNonNullElse(handler.retryPolicy(), defaultRetryPolicy);
            Duration timeout = requireTimeout(Objects.requireNonNullElse(handler.timeout(), defaultTimeout),
                    "job type '" + type + "'");
            int maxConcurrency = handler.maxConcurrency();
            if (maxConcurrency < 0) {
                throw new IllegalArgumentException("The concurrency limit of job type '" + type + "' must not be negative, "
                        + "was " + maxConcurrency);
            }
            this.byType.put(type, new RegisteredJobHandler(type, (JobHandler<Object>) handler, codec.payloadType(handler),
                    policy, timeout, maxConcurrency));
            if (!(handler instanceof RecurringMethodHandler)) {
                this.byClass.putIfAbsent(userClass(handler.getClass()), type);
            }
        }
    }

    private static String describe(JobHandler<?> handler) {
        return (handler instanceof RecurringMethodHandler method) ? "the @Recurring method " + method.where()
                : handler.getClass().getName();
    }

    private static Duration requireTimeout(Duration timeout, String whose) {
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("The timeout of " + whose + " must be positive, was " + timeout);
        }
        return timeout;
    }

    /**
     * Returns the handler of a type.
     * @param type the type
     * @return the handler, or empty
     */
    public Optional<RegisteredJobHandler> find(String type) {
        return Optional.ofNullable(this.byType.get(type));
    }

    /**
     * Returns the handler of a type.
     * @param type the type
     * @return the handler
     * @throws UnknownJobTypeException naming the type and the known ones when none is registered
     */
    public RegisteredJobHandler require(String type) {
        RegisteredJobHandler handler = this.byType.get(type);
        if (handler == null) {
            throw new UnknownJobTypeException(type, this.byType.keySet());
        }
        return handler;
    }

    /**
     * Returns the type of a registered handler class.
     * @param handlerClass the class
     * @return its type
     * @throws UnknownJobTypeException naming the class when it is not registered
     */
    public String typeOf(Class<?> handlerClass) {
        String type = this.byClass.get(userClass(handlerClass));
        if (type == null) {
            throw new UnknownJobTypeException(handlerClass.getName() + " (no handler of this class is registered)",
                    this.byType.keySet());
        }
        return type;
    }

    /**
     * Returns the registered types.
     * @return the types
     */
    public Set<String> types() {
        return Set.copyOf(this.byType.keySet());
    }

    /**
     * Returns the registered handlers.
     * @return the handlers, in registration order
     */
    public List<RegisteredJobHandler> handlers() {
        return List.copyOf(this.byType.values());
    }

    private static Class<?> userClass(Class<?> type) {
        Class<?> current = type;
        while (current.getName().contains("$$") && current.getSuperclass() != null
                && current.getSuperclass() != Object.class) {
            current = current.getSuperclass();
        }
        return current;
    }

    @Override
    public String toString() {
        return "JobHandlerRegistry" + this.byType.keySet();
    }
}

package dev.quark.jobs.runtime;

import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobTypeNames;
import dev.quark.jobs.Recurring;

import org.jspecify.annotations.Nullable;

/**
 * The handler of a bean method marked {@link Recurring}: its jobs call the method, through an {@link Invoker} that
 * finds the bean when each job runs. The payload is ignored (such jobs have none); the job type is
 * {@link JobTypeNames#of(Class, Method)}.
 */
public final class RecurringMethodHandler implements JobHandler<Object> {

    private final String type;

    private final Class<?> beanClass;

    private final Method method;

    private final List<Recurring> recurring;

    private final boolean takesContext;

    private final Invoker invoker;

    /**
     * Creates the handler of a method.
     * @param beanClass the class of the bean that declares the method
     * @param method the method, taking no parameters or one {@link JobContext}
     * @param invoker calls the method on the bean
     * @throws IllegalArgumentException naming the method when it takes other parameters, is static, has no
     * {@link Recurring} or its job type is not allowed
     */
    public RecurringMethodHandler(Class<?> beanClass, Method method, Invoker invoker) {
        this.beanClass = Objects.requireNonNull(beanClass, "beanClass must not be null");
        this.method = Objects.requireNonNull(method, "method must not be null");
        this.invoker = Objects.requireNonNull(invoker, "invoker must not be null");
        Class<?>[] parameters = method.getParameterTypes();
        if (java.lang.reflect.Modifier.isStatic(method.getModifiers())) {
            throw new IllegalArgumentException(where() + " is static: @Recurring marks a method of a bean");
        }
        if (parameters.length > 1 || (parameters.length == 1 && parameters[0] != JobContext.class)) {
            throw new IllegalArgumentException(where() + " takes " + Arrays.toString(parameters)
                    + ": a @Recurring method takes no parameters or one JobContext");
        }
        this.takesContext = parameters.length == 1;
        this.recurring = List.of(method.getAnnotationsByType(Recurring.class));
        if (this.recurring.isEmpty()) {
            throw new IllegalArgumentException(where() + " is not annotated with @Recurring");
        }
        try {
            this.type = JobTypeNames.of(beanClass, method);
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(where() + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public void handle(Object payload, JobContext context) throws Exception {
        this.invoker.invoke(this.method, this.takesContext ? new Object[] { context } : new Object[0]);
    }

    @Override
    public String type() {
        return this.type;
    }

    @Override
    public @Nullable Type payloadType() {
        return Object.class;
    }

    /**
     * Returns the method's recurring jobs.
     * @return its {@link Recurring} annotations, in declaration order
     */
    public List<Recurring> recurring() {
        return this.recurring;
    }

    /**
     * Returns the method.
     * @return the method its jobs call
     */
    public Method method() {
        return this.method;
    }

    /**
     * Names the method for messages.
     * @return {@code Class.method()}
     */
    public String where() {
        return this.beanClass.getName() + "." + this.method.getName() + "()";
    }

    @Override
    public String toString() {
        return "RecurringMethodHandler[" + this.type + " -> " + where() + "]";
    }

    /**
     * Calls a bean's method.
     */
    @FunctionalInterface
    public interface Invoker {

        /**
         * Calls the method on the bean that declares it.
         * @param method the method
         * @param arguments its arguments
         * @throws Exception what the method throws, unwrapped
         */
        void invoke(Method method, Object[] arguments) throws Exception;
    }
}

package dev.quark.autoconfigure.jobs;

import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.LinkedHashSet;
import java.util.Set;

import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobType;
import dev.quark.jobs.Recurring;
import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.ExecutableMode;
import org.springframework.aot.hint.ReflectionHints;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.ResolvableType;
import org.springframework.util.ClassUtils;

/**
 * Registers the JSON binding of the payload type of every {@link JobHandler} bean whose class declares it
 * ({@code implements JobHandler<SendInvoice>}), so that payloads are written and read in a native image. A handler
 * whose type only says {@code JobHandler} (one made with {@code JobHandler.of}, or a lambda) needs its payload type
 * registered by the application ({@code @RegisterReflectionForBinding}). The class of a handler bean annotated with
 * {@link Recurring} is registered too, with the annotation types, so that its recurring jobs are read at start-up in
 * a native image; so is every bean method annotated with it, for invocation (its jobs call it).
 */
class JobHandlerRuntimeHintsAotProcessor implements BeanFactoryInitializationAotProcessor {

    private static final String JOB_HANDLER = "dev.quark.jobs.JobHandler";

    @Override
    public @Nullable BeanFactoryInitializationAotContribution processAheadOfTime(ConfigurableListableBeanFactory beanFactory) {
        if (!ClassUtils.isPresent(JOB_HANDLER, beanFactory.getBeanClassLoader())) {
            return null;
        }
        Set<Type> payloadTypes = payloadTypes(beanFactory);
        Set<Class<?>> recurring = recurringHandlerClasses(beanFactory);
        Set<Method> recurringMethods = recurringMethods(beanFactory);
        if (payloadTypes.isEmpty() && recurring.isEmpty() && recurringMethods.isEmpty()) {
            return null;
        }
        return (generationContext, code) -> {
            ReflectionHints reflection = generationContext.getRuntimeHints().reflection();
            new BindingReflectionHintsRegistrar().registerReflectionHints(reflection, payloadTypes.toArray(Type[]::new));
            recurring.forEach(reflection::registerType);
            for (Method method : recurringMethods) {
                reflection.registerType(method.getDeclaringClass());
                reflection.registerMethod(method, ExecutableMode.INVOKE);
            }
            if (!recurring.isEmpty() || !recurringMethods.isEmpty()) {
                reflection.registerType(Recurring.class);
                reflection.registerType(Recurring.List.class);
                reflection.registerType(JobType.class);
            }
        };
    }

    static Set<Class<?>> recurringHandlerClasses(ConfigurableListableBeanFactory beanFactory) {
        Set<Class<?>> classes = new LinkedHashSet<>();
        for (String name : beanFactory.getBeanNamesForType(JobHandler.class, true, false)) {
            Class<?> type = beanFactory.getType(name, false);
            if (type != null && type.getAnnotationsByType(Recurring.class).length > 0) {
                classes.add(ClassUtils.getUserClass(type));
            }
        }
        return classes;
    }

    /**
     * Returns the {@link Recurring} bean methods that run as jobs: those {@link RecurringMethods#find} makes handlers
     * of, through its walk of the bean definitions.
     */
    static Set<Method> recurringMethods(ConfigurableListableBeanFactory beanFactory) {
        Set<Method> methods = new LinkedHashSet<>();
        RecurringMethods.beanMethods(beanFactory).forEach((found) -> methods.add(found.method()));
        return methods;
    }

    static Set<Type> payloadTypes(ConfigurableListableBeanFactory beanFactory) {
        Set<Type> types = new LinkedHashSet<>();
        for (String name : beanFactory.getBeanNamesForType(JobHandler.class, true, false)) {
            ResolvableType beanType = beanFactory.getMergedBeanDefinition(name).getResolvableType();
            if (beanType.resolve() == null) {
                Class<?> type = beanFactory.getType(name, false);
                beanType = (type != null) ? ResolvableType.forClass(type) : ResolvableType.NONE;
            }
            ResolvableType payload = beanType.as(JobHandler.class).getGeneric(0);
            Class<?> resolved = payload.resolve();
            if (resolved != null && resolved != Object.class) {
                types.add(payload.getType());
            }
        }
        return types;
    }
}

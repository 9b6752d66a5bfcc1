package dev.quark.autoconfigure.durabletasks;

import java.lang.reflect.Type;
import java.util.LinkedHashSet;
import java.util.Set;

import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.Orchestration;
import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.ResolvableType;
import org.springframework.util.ClassUtils;

/**
 * Registers what the durable-task engine reflects on for every {@link Orchestration} and {@link Activity} bean, so that
 * it works in a native image: the bean's class (the registry reads its {@code TaskName} annotation and the type
 * arguments of its {@code Orchestration<I, O>} / {@code Activity<I, O>}), and the JSON binding of those input and
 * output types. Types the code passes only at run time (event payloads, custom status, {@code callActivity(name,
 * input, resultType)} with a lambda-registered activity) need the application's {@code @RegisterReflectionForBinding}.
 */
class DurableTaskRuntimeHintsAotProcessor implements BeanFactoryInitializationAotProcessor {

    private static final String ORCHESTRATION = "dev.quark.durabletasks.Orchestration";

    @Override
    public @Nullable BeanFactoryInitializationAotContribution processAheadOfTime(
            ConfigurableListableBeanFactory beanFactory) {
        if (!ClassUtils.isPresent(ORCHESTRATION, beanFactory.getBeanClassLoader())) {
            return null;
        }
        Set<Class<?>> taskClasses = new LinkedHashSet<>();
        Set<Type> payloadTypes = new LinkedHashSet<>();
        collect(beanFactory, Orchestration.class, taskClasses, payloadTypes);
        collect(beanFactory, Activity.class, taskClasses, payloadTypes);
        if (taskClasses.isEmpty()) {
            return null;
        }
        return (generationContext, code) -> register(generationContext.getRuntimeHints(), taskClasses, payloadTypes);
    }

    static void register(RuntimeHints hints, Set<Class<?>> taskClasses, Set<Type> payloadTypes) {
        taskClasses.forEach((type) -> hints.reflection().registerType(type));
        new BindingReflectionHintsRegistrar().registerReflectionHints(hints.reflection(),
                payloadTypes.toArray(Type[]::new));
    }

    private static void collect(ConfigurableListableBeanFactory beanFactory, Class<?> contract,
            Set<Class<?>> taskClasses, Set<Type> payloadTypes) {
        for (String name : beanFactory.getBeanNamesForType(contract, true, false)) {
            ResolvableType beanType = beanFactory.getMergedBeanDefinition(name).getResolvableType();
            if (beanType.resolve() == null) {
                Class<?> type = beanFactory.getType(name, false);
                beanType = (type != null) ? ResolvableType.forClass(type) : ResolvableType.NONE;
            }
            Class<?> beanClass = beanType.resolve();
            if (beanClass == null) {
                continue;
            }
            taskClasses.add(ClassUtils.getUserClass(beanClass));
            ResolvableType generic = beanType.as(contract);
            for (int i = 0; i < 2; i++) {
                ResolvableType argument = generic.getGeneric(i);
                Class<?> resolved = argument.resolve();
                if (resolved != null && resolved != Object.class && resolved != Void.class) {
                    payloadTypes.add(argument.getType());
                }
            }
        }
    }
}

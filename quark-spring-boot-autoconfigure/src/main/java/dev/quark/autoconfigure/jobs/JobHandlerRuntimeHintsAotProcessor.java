package dev.quark.autoconfigure.jobs;

import java.lang.reflect.Type;
import java.util.LinkedHashSet;
import java.util.Set;

import dev.quark.jobs.JobHandler;
import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.ResolvableType;
import org.springframework.util.ClassUtils;

/**
 * Registers the JSON binding of the payload type of every {@link JobHandler} bean whose class declares it
 * ({@code implements JobHandler<SendInvoice>}), so that payloads are written and read in a native image. A handler
 * whose type only says {@code JobHandler} (one made with {@code JobHandler.of}, or a lambda) needs its payload type
 * registered by the application ({@code @RegisterReflectionForBinding}).
 */
class JobHandlerRuntimeHintsAotProcessor implements BeanFactoryInitializationAotProcessor {

    private static final String JOB_HANDLER = "dev.quark.jobs.JobHandler";

    @Override
    public @Nullable BeanFactoryInitializationAotContribution processAheadOfTime(ConfigurableListableBeanFactory beanFactory) {
        if (!ClassUtils.isPresent(JOB_HANDLER, beanFactory.getBeanClassLoader())) {
            return null;
        }
        Set<Type> payloadTypes = payloadTypes(beanFactory);
        if (payloadTypes.isEmpty()) {
            return null;
        }
        return (generationContext, code) -> new BindingReflectionHintsRegistrar()
            .registerReflectionHints(generationContext.getRuntimeHints().reflection(), payloadTypes.toArray(Type[]::new));
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

package dev.quark.autoconfigure.durabletasks;

import dev.quark.autoconfigure.lease.QuarkLeasesAutoConfiguration;
import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.DurableTaskRegistry;
import dev.quark.durabletasks.Orchestration;
import dev.quark.durabletasks.payload.PayloadConverter;
import dev.quark.lease.LeaseStore;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * The orchestration and activity beans of an application context, as a {@link DurableTaskRegistry}, and the shared
 * lease store.
 */
final class DurableTaskBeans {

    /** The area of the shared backend wiring. */
    static final String AREA = "durabletasks";

    private DurableTaskBeans() {
    }

    /**
     * Builds the registry of every {@link Orchestration} and {@link Activity} bean.
     * @throws IllegalStateException naming the bean when an orchestration is not a prototype bean, or two tasks of a
     * kind share a name
     */
    static DurableTaskRegistry registry(ConfigurableListableBeanFactory beanFactory, PayloadConverter converter) {
        DurableTaskRegistry.Builder builder = DurableTaskRegistry.builder(converter);
        for (String beanName : beanFactory.getBeanNamesForType(Orchestration.class, true, false)) {
            Class<?> type = beanFactory.getType(beanName, false);
            if (type == null) {
                continue;
            }
            Class<?> implementation = ClassUtils.getUserClass(type);
            BeanDefinition definition = beanFactory.getMergedBeanDefinition(beanName);
            if (!definition.isPrototype()) {
                String scope = (definition.getScope() == null || definition.getScope().isEmpty()) ? "singleton"
                        : definition.getScope();
                throw new IllegalStateException("Orchestration " + implementation.getName() + " is the " + scope
                        + " bean '" + beanName + "': orchestrations must be prototype beans, a new instance for every "
                        + "step, never shared. Annotate it @Scope(\"prototype\")");
            }
            register(() -> builder.orchestration(implementation,
                    () -> beanFactory.getBean(beanName, Orchestration.class)), beanName);
        }
        for (String beanName : beanFactory.getBeanNamesForType(Activity.class)) {
            Activity<?, ?> activity = beanFactory.getBean(beanName, Activity.class);
            register(() -> builder.activity(ClassUtils.getUserClass(activity), activity), beanName);
        }
        return builder.build();
    }

    private static void register(Runnable registration, String beanName) {
        try {
            registration.run();
        }
        catch (IllegalArgumentException ex) {
            throw new IllegalStateException("Bean '" + beanName + "' cannot be registered: " + ex.getMessage(), ex);
        }
    }

    /**
     * Returns the shared lease store ({@code quark.leases.backend}).
     */
    static LeaseStore leaseStore(ConfigurableListableBeanFactory beanFactory, Environment environment) {
        return QuarkLeasesAutoConfiguration.leaseStore(beanFactory, environment, AREA);
    }
}

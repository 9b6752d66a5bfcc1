package dev.quark.autoconfigure.actors;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.quark.actor.QuarkActor;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.util.ClassUtils;

/**
 * The {@link QuarkActor} beans of an application context: scanned ones and those users registered
 * themselves.
 */
final class ActorBeans {

    private ActorBeans() {
    }

    /**
     * Returns every {@link QuarkActor} bean by implementation class.
     * @throws IllegalStateException naming the bean when it is not prototype-scoped: a shared instance would
     * serve every activation
     */
    static Map<Class<?>, String> find(ConfigurableListableBeanFactory beanFactory) {
        Map<Class<?>, String> beans = new LinkedHashMap<>();
        for (String beanName : beanFactory.getBeanNamesForAnnotation(QuarkActor.class)) {
            Class<?> type = beanFactory.getType(beanName, false);
            if (type == null) {
                continue;
            }
            Class<?> implementation = ClassUtils.getUserClass(type);
            BeanDefinition definition = beanFactory.getMergedBeanDefinition(beanName);
            if (!definition.isPrototype()) {
                throw new IllegalStateException("@QuarkActor class " + implementation.getName() + " is registered as the "
                        + ((definition.getScope() == null || definition.getScope().isEmpty()) ? "singleton"
                                : definition.getScope())
                        + " bean '" + beanName + "': actor implementations must be prototype beans, one instance per "
                        + "activation. Let Quark register it (remove @Component or the @Bean method) or give it "
                        + "@Scope(\"prototype\")");
            }
            String existing = beans.putIfAbsent(implementation, beanName);
            if (existing != null) {
                throw new IllegalStateException("@QuarkActor class " + implementation.getName()
                        + " is registered twice, as beans '" + existing + "' and '" + beanName + "'");
            }
        }
        return beans;
    }
}

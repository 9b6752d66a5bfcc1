package dev.quark.autoconfigure.actors;

import java.util.Map;

import dev.quark.runtime.ActorInstanceFactory;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;

/**
 * Creates actor instances as prototype beans, so constructor injection, {@code @PostConstruct} and the
 * other bean callbacks work, and destroys them ({@code @PreDestroy}) when their activation ends.
 */
final class SpringActorInstanceFactory implements ActorInstanceFactory {

    private final ConfigurableListableBeanFactory beanFactory;

    private final Map<Class<?>, String> beanNames;

    SpringActorInstanceFactory(ConfigurableListableBeanFactory beanFactory, Map<Class<?>, String> beanNames) {
        this.beanFactory = beanFactory;
        this.beanNames = Map.copyOf(beanNames);
    }

    @Override
    public Object create(Class<?> implementation) {
        String beanName = this.beanNames.get(implementation);
        return (beanName != null) ? this.beanFactory.getBean(beanName) : this.beanFactory.createBean(implementation);
    }

    @Override
    public void destroy(Object instance) {
        this.beanFactory.destroyBean(instance);
    }
}

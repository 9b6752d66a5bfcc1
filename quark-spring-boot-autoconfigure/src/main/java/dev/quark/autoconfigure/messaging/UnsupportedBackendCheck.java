package dev.quark.autoconfigure.messaging;

import java.util.Locale;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

import dev.quark.autoconfigure.backend.BackendSelection;
import dev.quark.messaging.MessagePublisher;

/**
 * Fails start-up when messaging would run on Redis, which it does not support yet, and the application defines
 * destinations ({@link MessagePublisher} beans); without them it defines no messaging beans, so that an application
 * keeping its other areas on {@code quark.backend=redis} still starts.
 */
final class UnsupportedBackendCheck implements SmartInitializingSingleton {

    private final ConfigurableListableBeanFactory beanFactory;

    private final BackendSelection selection;

    UnsupportedBackendCheck(ConfigurableListableBeanFactory beanFactory, BackendSelection selection) {
        this.beanFactory = beanFactory;
        this.selection = selection;
    }

    @Override
    public void afterSingletonsInstantiated() {
        if (this.beanFactory.getBeanNamesForType(MessagePublisher.class, true, false).length > 0) {
            throw new InvalidConfigurationPropertyValueException(this.selection.property(),
                    this.selection.backend().name().toLowerCase(Locale.ROOT),
                    "the outbox and inbox run on memory or postgres so far, Redis is not built yet: set "
                            + "quark.messaging.backend=postgres (or memory)");
        }
    }
}

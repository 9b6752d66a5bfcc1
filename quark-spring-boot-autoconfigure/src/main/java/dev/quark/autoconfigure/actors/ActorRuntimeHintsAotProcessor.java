package dev.quark.autoconfigure.actors;

import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;

/**
 * Contributes {@link ActorRuntimeHints} for every {@link dev.quark.actor.QuarkActor} bean when the
 * application is processed ahead of time.
 */
class ActorRuntimeHintsAotProcessor implements BeanFactoryInitializationAotProcessor {

    @Override
    public @Nullable BeanFactoryInitializationAotContribution processAheadOfTime(ConfigurableListableBeanFactory beanFactory) {
        Set<Class<?>> implementations = ActorBeans.find(beanFactory).keySet();
        if (implementations.isEmpty()) {
            return null;
        }
        return (generationContext, code) -> {
            ActorRuntimeHints.registerPayloadCodec(generationContext.getRuntimeHints());
            implementations.forEach((implementation) -> ActorRuntimeHints
                .registerActor(generationContext.getRuntimeHints(), implementation));
        };
    }
}

// The code of this target is generated from openapi.yaml by the swift-openapi-generator build plugin
// (see openapi-generator-config.yaml). SwiftPM needs one real source file in a target; this is it.
